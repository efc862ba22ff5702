// What the background's answers carry to the extension's pages (protocol/messages.ts): metadata only, never key
// material (docs/design.md rule 3). Declared here, below the services that produce them and the screens that
// show them, so that both import them downward.
import type { SyncSummary } from '../sync/engine.ts';
import type { SchedulerState } from '../sync/scheduler.ts';
import type { FormatId, InvalidEntry } from '../formats/types.ts';

/** The answer to any UI request that can fail: the value, or a sentence for the person. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; needsInvite?: true };

/** One passkey as the vault manager shows it: metadata only. */
export interface PasskeyRow {
  credentialId: string;
  rpId: string;
  /** The registrable domain of rpId (tldts, in the background), which the list's icon and grouping show. */
  site: string;
  userName: string;
  userDisplayName: string;
  /** COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256. */
  alg: number;
  discoverable: boolean;
  createdAt: number;
  lastUsedAt?: number;
  backedUp: boolean;
  /** The signature counter, when this passkey counts (developer mode); absent or 0 otherwise. */
  signCount?: number;
  /** The site said it no longer accepts this passkey (a signal): when, and which origin asked. Kept 30 days, restorable. */
  hiddenBySite?: { at: number; origin: string };
}

/** What a consent window shows. Metadata only: never key material. */
export interface ConsentView {
  id: string;
  kind: 'create' | 'get';
  origin: string;
  rpId: string;
  /** The registrable domain, which the window emphasizes. */
  site: string;
  /** The request came from a frame that is not same-origin with all its ancestors (§5.1.3 sameOriginWithAncestors). */
  crossOrigin?: boolean;
  /** That frame's top-level page, when the door knows it (the shim door does), and its registrable domain. */
  topOrigin?: string;
  topSite?: string;
  locked: boolean;
  /** An immediate sign-in (uiMode 'immediate'): Keyport's passkeys or nothing, so no "another device" choice. */
  immediate?: boolean;
  /** The site asked to create a passkey that is already here: the window only acknowledges it. */
  excluded?: boolean;
  /** Approving needs the master password (userVerification 'required' and no recent proof). */
  verify?: boolean;
  userName?: string;
  /** WebAuthn L3 §5.8.7: the site's first hint asks for a security key or a phone, so the window leads with the browser's own. */
  prefers?: 'security-key' | 'hybrid';
  accounts?: { credentialId: string; userName: string; userDisplayName: string; lastUsedAt?: number }[];
}

export interface StatusView {
  setUp: boolean;
  unlocked: boolean;
  door: 'proxy' | 'shim';
  /** Chromium's reason Keyport could not attach its proxy (another extension holds it): the page-script door answers. */
  proxyProblem?: string;
  /** Passkeys in use; those their site removed by a signal (WebAuthn L3 §5.1.10), kept for 30 days, are apart. */
  passkeys: number;
  removedBySites: number;
  damaged: number;
  /** Developer mode is on: the popup offers the ceremony inspector. */
  developer: boolean;
  /** unread: records the last sync could not open and is asking for again (SyncStatus.unread), when any. */
  sync: { transport: 'off' | 'server' | 'browser'; state: string; error?: string; lastSyncAt?: number; unread?: number };
}

/** Per-site control (app/siteControl.ts): the excluded sites, the pause, and the site of the page asked about. */
export interface SitesView {
  /** The site (registrable domain, or a bare host) of the URL asked about, when it is a web page. */
  site?: string;
  /** Whether Keyport steps aside on that site. */
  siteExcluded?: boolean;
  excluded: string[];
  /** Paused now: until this time (ms), or null until turned back on. */
  paused?: { until: number | null };
  /** Passkey upgrades on that site (app/upgrades.ts), while the vault is open. */
  upgrade?: UpgradeView;
}

/** Passkey upgrades (conditional create) on one site, as the popup shows them. */
export interface UpgradeView {
  /** The person allows the site to upgrade a password sign-in to a passkey without a window. */
  allowed: boolean;
  /** The site asked lately and was not allowed: the popup offers the switch. */
  offered: boolean;
  /** Passkeys upgrades made there lately, which the popup offers to undo. */
  made: { credentialId: string; userName: string; at: number }[];
}

/** Settings → Security as the background keeps them. */
export interface SettingsView {
  autoLockMinutes: number;
  theme: 'system' | 'light' | 'dark';
  /** The vault's Argon2id parameters (m in KiB), when it is set up. */
  kdf?: { m: number; t: number; p: number };
  /** The last Argon2id run here: its time and cost (m × t), to estimate others. */
  derivation?: { ms: number; cost: number };
}

export type PairingStage =
  | 'idle'
  | 'waiting' // new browser: showing the code, no browser joined yet
  | 'compare' // both: the strings are shown; the person compares them
  | 'approved' // new browser: the other browser approved; confirm here too, with a new master password
  | 'done'
  | 'failed';

export interface PairingView {
  role?: 'new' | 'existing';
  stage: PairingStage;
  code?: string;
  sas?: string;
  expiresAt?: number;
  error?: string;
}

export interface SyncStatus {
  transport: 'off' | 'server' | 'browser';
  serverUrl?: string;
  state: SchedulerState['status'];
  /** The last failure as a sentence for the person. */
  error?: string;
  lastSync?: { at: number; summary: SyncSummary };
  /** Records the last sync received altered or damaged (they failed authentication); the local copies were kept. */
  tampered: string[];
  /**
   * Of those, the ones this browser does not hold yet: every sync asks for them again until they open or a
   * newer version replaces them (src/sync/engine.ts). The UI says "1 passkey could not be read from sync; retrying".
   */
  unread: string[];
  lastBackupAt?: number;
  /** When the person last typed the current recovery code back (a new code clears it). */
  recoveryConfirmedAt?: number;
  /** When another browser was last paired with this one (either side). */
  pairedAt?: number;
}

/** One row of a preview: what a person needs to recognise a passkey. */
export interface PreviewRow {
  rpId: string;
  userName: string;
  credentialId: string;
}

export interface ImportPreview {
  /** Pass to commit() to write exactly this. Expires after PREVIEW_TTL_MS. */
  id: string;
  format: FormatId;
  add: PreviewRow[];
  duplicates: PreviewRow[];
  invalid: InvalidEntry[];
}

/** What the suggestion list shows. Metadata only. */
export interface AutofillView {
  site: string;
  rpId: string;
  state: 'locked' | 'ready';
  accounts: { credentialId: string; userName: string; userDisplayName: string; lastUsedAt?: number }[];
}
