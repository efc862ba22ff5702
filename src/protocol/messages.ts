// The extension's own runtime messages to the background, each declared once: who may send it, its schema (the
// background validates every message before acting on it, docs/design.md rule 6) and the type of its answer. The
// router (app/router.ts) is a map with one handler per entry, and the screens' send() (ui/api.ts) takes the answer
// type from here, so neither side can pick another. A new message is one entry here and one handler there.
import * as v from 'valibot';
import type { CeremonyRecord } from '../devtools/inspect.ts';
import type { DevSettings, SimulatedError } from '../devtools/settings.ts';
import type { SyncSummary } from '../sync/engine.ts';
import type {
  AutofillView,
  ConsentView,
  ImportPreview,
  PairingView,
  PasskeyRow,
  PreviewRow,
  Result,
  SettingsView,
  SitesView,
  StatusView,
  SyncStatus,
} from './views.ts';
import { SimulatedErrorSchema } from '../devtools/settings.ts';

/** The popup's pause choices: an hour, a day, until turned back on, or back on now. */
export const PAUSE_CHOICES = ['hour', 'day', 'until-resumed', 'resume'] as const;
export type PauseChoice = (typeof PAUSE_CHOICES)[number];

export const MAX_IMPORT_CHARS = 64 * 1024 * 1024;
const Format = v.picklist(['cxf', 'bitwarden', 'keepassxc']);


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

/**
 * Who may send a message: 'bridge', any of the extension's own contexts, content scripts included (only about a
 * request that stepped aside to the browser); 'page', the extension's own pages only (sender URL checked).
 */
export type Sender = 'bridge' | 'page';
const bridge = <E extends v.ObjectEntries>(entries: E) => ({ from: 'bridge' as const, entries });
const page = <E extends v.ObjectEntries>(entries: E) => ({ from: 'page' as const, entries });

const ENTRIES = {
  'fallback-check': bridge({ challenge: v.pipe(v.string(), v.maxLength(4096)), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  'fallback-done': bridge({ challenge: v.pipe(v.string(), v.maxLength(4096)), origin: v.pipe(v.string(), v.maxLength(2048)) }),
  status: page({}),
  'consent:get': page({ id: v.string() }),
  'consent:unlock': page({ id: v.string(), password: v.pipe(v.string(), v.maxLength(4096)) }),
  'consent:decide': page({
    id: v.string(),
    action: v.picklist(['approve', 'cancel', 'fallback']),
    credentialId: v.optional(v.string()),
    /** The master password, when the request needs user verification that is not fresh. */
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  }),
  setup: page({ password: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) }),
  unlock: page({ password: v.pipe(v.string(), v.maxLength(4096)) }),
  lock: page({}),
  'import:preview': page({
    format: Format,
    data: v.pipe(v.string(), v.maxLength(MAX_IMPORT_CHARS, 'The file is larger than 64 MiB.')),
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  }),
  'import:commit': page({ id: v.string() }),
  'import:cancel': page({ id: v.string() }),
  'dev:get': page({}),
  // Checked in full by parseDevSettings (each problem named); bounded here.
  // masterPassword: needed when the change lets Keyport approve without asking where it did not (autoApprovalWidens).
  'dev:set': page({ settings: v.record(v.string(), v.unknown()), masterPassword: v.optional(MasterPassword) }),
  'dev:next-error': page({ error: v.nullable(SimulatedErrorSchema) }),
  'inspector:list': page({ tabId: v.pipe(v.number(), v.integer()) }),
  'inspector:clear': page({ tabId: v.pipe(v.number(), v.integer()) }),
  'passkeys:list': page({}),
  'autofill:get': page({ id: v.pipe(v.string(), v.maxLength(64)) }),
  'autofill:choose': page({ id: v.pipe(v.string(), v.maxLength(64)), credentialId: v.pipe(v.string(), v.maxLength(2048)) }),
  'autofill:unlock': page({ id: v.pipe(v.string(), v.maxLength(64)) }),
  'passkeys:rename': page({
    credentialId: v.pipe(v.string(), v.maxLength(2048)),
    userName: v.pipe(v.string(), v.trim(), v.minLength(1, 'An account name cannot be empty.'), v.maxLength(1024)),
  }),
  'passkeys:delete': page({ credentialId: v.pipe(v.string(), v.maxLength(2048)) }),
  'passkeys:undo': page({}),
  /** Brings back a passkey its site hid (signals: app/signals.ts). */
  'passkeys:restore': page({ credentialId: v.pipe(v.string(), v.maxLength(2048)) }),
  'pair:state': page({}),
  'pair:start': page({ serverUrl: v.pipe(v.string(), v.maxLength(2048)) }),
  'pair:finish': page({ newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)) }),
  'pair:join': page({ code: v.pipe(v.string(), v.maxLength(64)) }),
  'pair:approve': page({ masterPassword: MasterPassword }),
  'pair:cancel': page({}),
  'sync:status': page({}),
  'sync:configure': page({
    serverUrl: v.optional(v.pipe(v.string(), v.maxLength(2048))),
    /** An invite from whoever runs the server, when it asked for one (Result.needsInvite). */
    invite: v.optional(v.pipe(v.string(), v.maxLength(64))),
    browserSync: v.optional(v.boolean()),
    off: v.optional(v.boolean()),
  }),
  'sync:now': page({}),
  'recovery:rotate': page({ masterPassword: MasterPassword }),
  'recovery:confirmed': page({}),
  'backup:download': page({ masterPassword: MasterPassword }),
  'restore:server': page({
    serverUrl: v.pipe(v.string(), v.maxLength(2048)),
    recoveryCode: v.pipe(v.string(), v.maxLength(256)),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  'restore:backup': page({
    file: v.pipe(v.string(), v.maxLength(MAX_IMPORT_CHARS, 'The file is larger than 64 MiB.')),
    recoveryCode: v.optional(v.pipe(v.string(), v.maxLength(256))),
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  'password:reset': page({
    recoveryCode: v.pipe(v.string(), v.maxLength(256)),
    newPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)),
  }),
  'settings:get': page({}),
  'settings:set': page({
    autoLockMinutes: v.optional(v.picklist(AUTOLOCK_CHOICES)),
    theme: v.optional(v.picklist(['system', 'light', 'dark'])),
  }),
  // The current master password, and a new one and/or another KDF strength.
  'password:change': page({
    password: Password,
    newPassword: v.optional(Password),
    strength: v.optional(v.picklist(Object.keys(KDF_STRENGTHS) as KdfStrength[])),
  }),
  /** Per-site control (app/siteControl.ts), from the popup and Settings only: a web page can never send these. */
  'sites:get': page({ url: v.optional(v.pipe(v.string(), v.maxLength(8192))) }),
  'sites:exclude': page({ url: v.pipe(v.string(), v.maxLength(8192)) }),
  'sites:include': page({ site: v.pipe(v.string(), v.minLength(1), v.maxLength(253)), url: v.optional(v.pipe(v.string(), v.maxLength(8192))) }),
  /** Passkey upgrades (conditional create) on the page's site: on or off. */
  'sites:upgrade': page({ url: v.pipe(v.string(), v.maxLength(8192)), on: v.boolean() }),
  /** Removes a passkey an upgrade made lately. */
  'sites:undo-upgrade': page({ credentialId: v.pipe(v.string(), v.maxLength(1366)), url: v.pipe(v.string(), v.maxLength(8192)) }),
  'sites:pause': page({ choice: v.picklist(PAUSE_CHOICES), url: v.optional(v.pipe(v.string(), v.maxLength(8192))) }),
  /** Coexistence (issue 15 item 9): attach Chromium's proxy again, after the person turned the other extension off. */
  'proxy:retry': page({}),
  export: page({
    format: Format,
    /** The file's own password (Bitwarden's encrypted JSON); absent: keys in the clear. */
    password: v.optional(v.pipe(v.string(), v.maxLength(4096))),
    masterPassword: MasterPassword,
    ids: v.optional(v.array(v.pipe(v.string(), v.maxLength(2048)))),
  }),
};

/** A guarded password check (passwordGuard.ts): done, or the sentence for the person. */
export type Checked = { ok: true } | { ok: false; error: string };

/** What the background answers to each message. */
export interface Answers {
  'fallback-check': boolean;
  'fallback-done': boolean;
  status: StatusView;
  'consent:get': ConsentView | null;
  'consent:unlock': Checked;
  'consent:decide': Checked;
  setup: { recoveryCode: string };
  unlock: Checked;
  lock: void;
  'import:preview': Result<ImportPreview>;
  'import:commit': Result<{ added: number }>;
  'import:cancel': void;
  'dev:get': { settings: DevSettings; nextError: SimulatedError | null };
  'dev:set': Result<DevSettings>;
  'dev:next-error': true;
  'inspector:list': (CeremonyRecord & { seq: number; tabId?: number })[];
  'inspector:clear': void;
  'passkeys:list': PasskeyRow[];
  'autofill:get': AutofillView | null;
  'autofill:choose': boolean;
  'autofill:unlock': boolean;
  'passkeys:rename': Result<void>;
  'passkeys:delete': Result<boolean>;
  'passkeys:undo': Result<boolean>;
  'passkeys:restore': Result<boolean>;
  'pair:state': PairingView;
  'pair:start': Result<PairingView>;
  'pair:finish': Result<void>;
  'pair:join': Result<PairingView>;
  'pair:approve': Result<void>;
  'pair:cancel': void;
  'sync:status': SyncStatus;
  'sync:configure': Result<SyncSummary | undefined>;
  'sync:now': Result<SyncSummary>;
  'recovery:rotate': Result<{ recoveryCode: string }>;
  'recovery:confirmed': void;
  'backup:download': Result<{ filename: string }>;
  'restore:server': Result<SyncSummary>;
  'restore:backup': Result<{ restored: number; damaged: string[] }>;
  'password:reset': Result<void>;
  'settings:get': SettingsView;
  'settings:set': SettingsView;
  'password:change': Result<SettingsView>;
  'sites:get': SitesView;
  'sites:exclude': Result<SitesView>;
  'sites:include': Result<SitesView>;
  'sites:pause': Result<SitesView>;
  'sites:upgrade': Result<SitesView>;
  'sites:undo-upgrade': Result<SitesView>;
  'proxy:retry': StatusView;
  export: Result<{ filename: string; count: number; skipped: PreviewRow[]; encrypted: boolean }>;
}

export type MessageType = keyof Answers;

type Built<M> = {
  [K in keyof M & string]: M[K] extends { from: infer F; entries: infer E extends v.ObjectEntries }
    ? { from: F; schema: v.ObjectSchema<{ type: v.LiteralSchema<K, undefined> } & E, undefined> }
    : never;
};

function build<M extends Record<string, { from: Sender; entries: v.ObjectEntries }>>(m: M): Built<M> {
  return Object.fromEntries(Object.entries(m).map(([type, { from, entries }]) => [type, { from, schema: v.object({ type: v.literal(type), ...entries }) }])) as Built<M>;
}

/** Every message: who may send it and its schema, the `type` member included. */
export const MESSAGES: Built<typeof ENTRIES> & Record<MessageType, { from: Sender; schema: v.GenericSchema }> = build(ENTRIES);
// Both lists name the same messages: a message without an answer type, or an answer without a schema, fails here.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents, @typescript-eslint/no-duplicate-type-constituents -- both are never when the lists agree: that is the check
type Missing = Exclude<MessageType, keyof typeof ENTRIES> | Exclude<keyof typeof ENTRIES, MessageType>;
const _sameMessages: [Missing] extends [never] ? true : Missing = true;
void _sameMessages;

export type Request<K extends MessageType> = v.InferOutput<(typeof MESSAGES)[K]['schema']>;
/** What a sender writes (before the schema's transformations, such as trimming). */
export type Message<K extends MessageType> = v.InferInput<(typeof MESSAGES)[K]['schema']>;
export type Answer<K extends MessageType> = Answers[K];
export type RuntimeMessage = { [K in MessageType]: Request<K> }[MessageType];

/** The message `raw` is, checked against its own schema; undefined when it is none of ours or fails its schema. */
export function parseMessage(raw: unknown): RuntimeMessage | undefined {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(MESSAGES, type)) return undefined;
  const parsed = v.safeParse(MESSAGES[type as MessageType].schema, raw);
  return parsed.success ? (parsed.output) : undefined;
}

/** Background → every extension page: progress of slow work (Argon2id takes about 2 s); a task name and a fraction only. */
export const PROGRESS = 'keyport:progress';
export type ProgressTask = 'setup' | 'unlock' | 'password' | 'restore' | 'reauth';
export interface ProgressMessage {
  type: typeof PROGRESS;
  task: ProgressTask;
  fraction: number;
}
