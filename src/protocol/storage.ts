// Every key Keyport keeps in the browser's storage areas and its own IndexedDB settings, with the area and the
// type of its value: one registry, so that two modules never share a name by accident and a reader sees at once
// what a content script could write (storage.local is writable by content scripts: a value there is checked on every
// read, docs/design.md rule 6, and may only make Keyport step aside more, never less, rule 9). Values typed `unknown` are validated by their owner on every read.
// Not here: storage.sync, which holds only the browser-sync transport's sealed records (src/sync/browserSync.ts).

export type StorageArea =
  /** browser.storage.local: readable and writable by content scripts; hints and preferences only. */
  | 'local'
  /** browser.storage.session (TRUSTED_CONTEXTS): in memory, gone with the browser. */
  | 'session'
  /** The extension's IndexedDB ("meta" store): out of content scripts' reach (adapters/idb.ts idbSettings). */
  | 'settings';

export interface StorageKey<T> {
  readonly area: StorageArea;
  readonly name: string;
  /** Never set: carries the value's type. */
  readonly value?: T;
}

const key = <T>(area: StorageArea, name: string): StorageKey<T> => ({ area, name });

/** Where this browser syncs: a Keyport sync server, or the browser's own storage.sync. */
export type SyncConfig = { transport: 'server'; serverUrl: string } | { transport: 'browser' };

export const STORAGE = {
  /**
   * The open front door, read by every bridge. Only a hint: it stays in storage.local because a bridge must read it
   * without waking the background. Whatever it says, the background decides every request itself: a false 'shim'
   * only sends a request down the page-script door, which validates as strictly; a false 'proxy' only makes the
   * shim stand aside.
   */
  door: key<'proxy' | 'shim'>('local', 'keyport:door'),
  theme: key<unknown>('local', 'keyport:theme'),
  /**
   * The sites where Keyport steps aside and the pause, for the bridges (protocol/sites.ts): only a hint, read without
   * waking the background. A false entry only makes a bridge leave a request to the browser; the background
   * decides every request from its own copy (sitePrefs below).
   */
  siteHint: key<unknown>('local', 'keyport:sites'),
  /** Clamped on read (app/session.ts autoLockMinutes): a content script may write anything here. */
  autoLockMinutes: key<unknown>('local', 'keyport:autoLockMinutes'),

  /** The unlocked vault key (base64url), so that a restarted service worker needs no new unlock; cleared on lock. */
  vaultKey: key<string>('session', 'keyport:vaultKey'),
  lastActivity: key<number>('session', 'keyport:lastActivity'),
  lastPasswordProof: key<number>('session', 'keyport:lastPasswordProof'),
  /** The automation API's auto-approve settings. */
  automation: key<{ autoApprove: boolean; userVerified: boolean }>('session', 'keyport:automation'),
  /** Firefox: each document's Permissions-Policy header, by tab and frame (adapters/documentPolicy.ts). */
  documentPolicies: key<unknown>('session', 'keyport:documentPolicies'),
  /** Developer mode's ceremony log and pending simulated error. */
  developerLog: key<unknown>('session', 'keyport:developer-log'),

  developer: key<unknown>('settings', 'keyport:developer'),
  passwordGuard: key<unknown>('settings', 'keyport:passwordGuard'),
  syncConfig: key<SyncConfig>('settings', 'keyport:sync'),
  lastBackupAt: key<number>('settings', 'keyport:lastBackupAt'),
  recoveryConfirmedAt: key<number>('settings', 'keyport:recoveryConfirmedAt'),
  pairedAt: key<number>('settings', 'keyport:pairedAt'),
  /** This browser's replica id for the sync server (sync/protocol.ts ReplicaId): random, made once. */
  syncReplica: key<string>('settings', 'keyport:syncReplica'),
  /**
   * The plaintext copy of the excluded sites and the pause (vault/sitePrefs.ts holds them sealed and synced), so they
   * hold while the vault is locked (app/siteControl.ts; docs/design.md "Per-site control").
   */
  sitePrefs: key<unknown>('settings', 'keyport:sitePrefs'),
} as const;

/** Settings that once lived in storage.local and moved to IndexedDB (issue 13 item 7); the move runs once. */
export const MOVED_FROM_LOCAL = [STORAGE.developer, STORAGE.syncConfig, STORAGE.lastBackupAt, STORAGE.recoveryConfirmedAt, STORAGE.pairedAt];

/** The extension's own alarms and the progress channel's name, which share the "keyport:" namespace. */
export const ALARMS = { autoLock: 'keyport:autolock', sync: 'keyport:sync', pauseEnd: 'keyport:pause-end' } as const;

/** A key-value area addressed by registry keys (IndexedDB settings in the extension, a Map in tests). */
export interface KeyValueStore {
  get<T>(key: StorageKey<T>): Promise<T | undefined>;
  set<T>(key: StorageKey<T>, value: T): Promise<void>;
  remove(key: StorageKey<unknown>): Promise<void>;
}
