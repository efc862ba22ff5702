// Messages between the extension's own contexts (bridge, UI pages) and the background, with schemas:
// the background validates every message before acting on it (docs/design.md rule 6).
import * as v from 'valibot';
import type { FramePolicyAnswer as FramePolicyAnswerShape } from './channels.ts';
import { SimulatedErrorSchema } from '../devtools/settings.ts';

export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;
const Format = v.picklist(['cxf', 'bitwarden', 'keepassxc']);

/** The answer to any UI request that can fail: the value, or a sentence for the person. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; needsInvite?: true };

/** Settings → Security: the auto-lock choices (minutes) and the three Argon2id strengths (m in KiB), at or above MIN_KDF. */
export const AUTOLOCK_CHOICES = [1, 5, 15, 30, 60, 240] as const;
export const KDF_STRENGTHS = {
  standard: { m: 64 * 1024, t: 3, p: 1 },
  strong: { m: 128 * 1024, t: 4, p: 1 },
  'very-strong': { m: 256 * 1024, t: 4, p: 1 },
} as const;
export type KdfStrength = keyof typeof KDF_STRENGTHS;
const Password = v.pipe(v.string(), v.minLength(1, 'Type your master password.'), v.maxLength(4096));
/**
 * Re-authentication (issue 13 item 5): what hands the vault away carries the master password, which the
 * background checks through the unlock's growing delay (guarded()) before acting, even while unlocked.
 */
const MasterPassword = Password;

export const CeremonyRequest = v.object({
  kind: v.picklist(['create', 'get']),
  options: v.unknown(),
  // What the bridge sees of its own document (callers.ts FrameFacts): window.origin ("null" when sandboxed),
  // whether its ancestors share it, and its permissions policy, or null where the document exposes none
  // (Firefox; the background reads the headers and asks the embedding frames instead).
  frame: v.object({
    origin: v.pipe(v.string(), v.maxLength(2048)),
    sameOriginWithAncestors: v.boolean(),
    framePermitted: v.nullable(v.boolean()),
    transientActivation: v.boolean(),
  }),
  /** mediation: 'conditional' (a get only): answered from the autofill list (autofill.ts). */
  conditional: v.optional(v.boolean()),
});
export type CeremonyRequest = v.InferOutput<typeof CeremonyRequest>;

/** A bridge's answer to a FramePolicyQuery (channels.ts), checked before the background believes it. */
export const FramePolicyAnswer: v.GenericSchema<FramePolicyAnswerShape> = v.object({
  allowed: v.boolean(),
  embedder: v.object({ frameId: v.number(), origin: v.string() }),
});

export const RuntimeMessage = v.variant('type', [
  v.object({ type: v.literal('fallback-check'), challenge: v.pipe(v.string(), v.maxLength(4096)), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('fallback-done'), challenge: v.pipe(v.string(), v.maxLength(4096)), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('status') }),
  v.object({ type: v.literal('consent:get'), id: v.string() }),
  v.object({ type: v.literal('consent:unlock'), id: v.string(), password: v.pipe(v.string(), v.maxLength(4096)) }),
  v.object({
    type: v.literal('consent:decide'),
    id: v.string(),
    action: v.picklist(['approve', 'cancel', 'fallback']),
    credentialId: v.optional(v.string()),
    /** The master password, when the request needs user verification that is not fresh. */
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  }),
  v.object({ type: v.literal('setup'), password: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) }),
  v.object({ type: v.literal('unlock'), password: v.pipe(v.string(), v.maxLength(4096)) }),
  v.object({ type: v.literal('lock') }),
  v.object({
    type: v.literal('import:preview'),
    format: Format,
    data: v.pipe(v.string(), v.maxLength(MAX_IMPORT_CHARS, 'The file is larger than 64 MiB.')),
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  }),
  v.object({ type: v.literal('import:commit'), id: v.string() }),
  v.object({ type: v.literal('import:cancel'), id: v.string() }),
  v.object({ type: v.literal('dev:get') }),
  // Checked in full by parseDevSettings (each problem named); bounded here.
  // masterPassword: needed when the change lets Keyport approve without asking where it did not (autoApprovalWidens).
  v.object({ type: v.literal('dev:set'), settings: v.record(v.string(), v.unknown()), masterPassword: v.optional(MasterPassword) }),
  v.object({ type: v.literal('dev:next-error'), error: v.nullable(SimulatedErrorSchema) }),
  v.object({ type: v.literal('inspector:list'), tabId: v.pipe(v.number(), v.integer()) }),
  v.object({ type: v.literal('inspector:clear'), tabId: v.pipe(v.number(), v.integer()) }),
  v.object({ type: v.literal('passkeys:list') }),
  v.object({ type: v.literal('autofill:get'), id: v.pipe(v.string(), v.maxLength(64)) }),
  v.object({ type: v.literal('autofill:choose'), id: v.pipe(v.string(), v.maxLength(64)), credentialId: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('autofill:unlock'), id: v.pipe(v.string(), v.maxLength(64)) }),
  v.object({
    type: v.literal('passkeys:rename'),
    credentialId: v.pipe(v.string(), v.maxLength(2048)),
    userName: v.pipe(v.string(), v.trim(), v.minLength(1, 'An account name cannot be empty.'), v.maxLength(1024)),
  }),
  v.object({ type: v.literal('passkeys:delete'), credentialId: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('passkeys:undo') }),
  v.object({ type: v.literal('pair:state') }),
  v.object({ type: v.literal('pair:start'), serverUrl: v.pipe(v.string(), v.maxLength(2048)) }),
  v.object({ type: v.literal('pair:finish'), newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) }),
  v.object({ type: v.literal('pair:join'), code: v.pipe(v.string(), v.maxLength(64)) }),
  v.object({ type: v.literal('pair:approve'), masterPassword: MasterPassword }),
  v.object({ type: v.literal('pair:cancel') }),
  v.object({ type: v.literal('sync:status') }),
  v.object({
    type: v.literal('sync:configure'),
    serverUrl: v.optional(v.pipe(v.string(), v.maxLength(2048))),
    /** An invite from whoever runs the server, when it asked for one (Result.needsInvite). */
    invite: v.optional(v.pipe(v.string(), v.maxLength(64))),
    browserSync: v.optional(v.boolean()),
    off: v.optional(v.boolean()),
  }),
  v.object({ type: v.literal('sync:now') }),
  v.object({ type: v.literal('recovery:rotate'), masterPassword: MasterPassword }),
  v.object({ type: v.literal('recovery:confirmed') }),
  v.object({ type: v.literal('backup:download'), masterPassword: MasterPassword }),
  v.object({
    type: v.literal('restore:server'),
    serverUrl: v.pipe(v.string(), v.maxLength(2048)),
    recoveryCode: v.pipe(v.string(), v.maxLength(256)),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  v.object({
    type: v.literal('restore:backup'),
    file: v.pipe(v.string(), v.maxLength(MAX_IMPORT_CHARS, 'The file is larger than 64 MiB.')),
    recoveryCode: v.optional(v.pipe(v.string(), v.maxLength(256))),
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  v.object({
    type: v.literal('password:reset'),
    recoveryCode: v.pipe(v.string(), v.maxLength(256)),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  v.object({ type: v.literal('settings:get') }),
  v.object({
    type: v.literal('settings:set'),
    autoLockMinutes: v.optional(v.picklist(AUTOLOCK_CHOICES)),
    theme: v.optional(v.picklist(['system', 'light', 'dark'])),
  }),
  // The current master password, and a new one and/or another KDF strength.
  v.object({
    type: v.literal('password:change'),
    password: Password,
    newPassword: v.optional(Password),
    strength: v.optional(v.picklist(Object.keys(KDF_STRENGTHS) as KdfStrength[])),
  }),
  v.object({
    type: v.literal('export'),
    format: Format,
    /** The file's own password (Bitwarden's encrypted JSON); absent: keys in the clear. */
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
    masterPassword: MasterPassword,
    ids: v.optional(v.array(v.pipe(v.string(), v.maxLength(2048)))),
  }),
]);
export type RuntimeMessage = v.InferOutput<typeof RuntimeMessage>;

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
  /** The site asked to create a passkey that is already here: the window only acknowledges it. */
  excluded?: boolean;
  /** Approving needs the master password (userVerification 'required' and no recent proof). */
  verify?: boolean;
  userName?: string;
  accounts?: { credentialId: string; userName: string; userDisplayName: string; lastUsedAt?: number }[];
}

export interface StatusView {
  setUp: boolean;
  unlocked: boolean;
  door: 'proxy' | 'shim';
  proxyProblem?: string;
  passkeys: number;
  damaged: number;
  /** Developer mode is on: the popup offers the ceremony inspector. */
  developer: boolean;
  /** unread: records the last sync could not open and is asking for again (SyncStatus.unread), when any. */
  sync: { transport: 'off' | 'server' | 'browser'; state: string; error?: string; lastSyncAt?: number; unread?: number };
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
