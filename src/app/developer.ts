// Developer mode's state in the background (issue 6): the settings (kept in the extension's IndexedDB), the one-shot
// simulated error, and the ceremony log the inspector reads. The log holds what a page already saw
// (options and answers), never a private key, only in memory, and only while developer mode is on.
import { type CeremonyInput, type CeremonyRecord, inspectCeremony } from '../devtools/inspect.ts';
import { DEFAULT_DEV_SETTINGS, type DevMode, type DevSettings, type SimulatedError, devModeFor, parseDevSettings } from '../devtools/settings.ts';

/** One ceremony as it happened, decoded only when someone looks. */
export interface LoggedCeremony extends CeremonyInput {
  seq: number;
  /** The tab, when the door knows it (the shim); Chromium's proxy door knows only the origin. */
  tabId?: number;
}

export interface CeremonyFilter {
  tabId?: number;
  /** Ceremonies of these origins count for the tab too (proxy door: no tab id). */
  origins?: string[];
}

export const LOG_SIZE = 200;

/** What survives a background that the browser stopped (Firefox suspends an idle one after 30 s). */
interface Kept {
  log: LoggedCeremony[];
  nextError?: SimulatedError;
  seq: number;
}

export function createDeveloperMode(deps: {
  load: () => Promise<unknown>;
  save: (s: DevSettings) => Promise<void>;
  /** storage.session: the log and a pending simulated error, kept across a stopped background, gone with the browser. */
  keep?: { get: () => Promise<unknown>; set: (k: Kept) => Promise<void> };
}) {
  let settings: DevSettings = DEFAULT_DEV_SETTINGS;
  let nextError: SimulatedError | undefined;
  let seq = 0;
  const log: LoggedCeremony[] = [];
  const ready = Promise.all([
    deps
      .load()
      .then((raw) => {
        if (raw !== undefined) settings = parseDevSettings(raw);
      })
      .catch(() => {
        // Settings that no longer parse (an older version's shape) fall back to the defaults.
        settings = DEFAULT_DEV_SETTINGS;
      }),
    deps.keep
      ?.get()
      // Written by this background only (storage.session is TRUSTED_CONTEXTS).
      .then((kept) => {
        const k = kept as Kept | undefined;
        if (!k) return;
        log.splice(0, log.length, ...k.log.slice(-LOG_SIZE));
        nextError ??= k.nextError;
        seq = Math.max(seq, k.seq);
      })
      .catch(() => {}),
  ]);
  let keeping: ReturnType<typeof setTimeout> | undefined;
  /** Mirrors the log to storage.session, at most every 200 ms and after the answer has gone out. */
  function keep(now = false): void {
    if (!deps.keep) return;
    const write = () => {
      keeping = undefined;
      void deps.keep!.set({ log, ...(nextError ? { nextError } : {}), seq }).catch(() => {});
    };
    if (now) {
      clearTimeout(keeping);
      write();
    } else keeping ??= setTimeout(write, 200);
  }

  function matches(e: LoggedCeremony, f: CeremonyFilter): boolean {
    if (f.tabId === undefined && !f.origins) return true;
    if (f.tabId !== undefined && e.tabId === f.tabId) return true;
    return e.tabId === undefined && !!f.origins?.includes(e.origin);
  }

  return {
    ready,
    settings: () => settings,
    /** Replaces the settings with a validated copy (TypeError naming each problem otherwise). */
    async configure(input: unknown): Promise<DevSettings> {
      await ready;
      const next = parseDevSettings(input);
      await deps.save(next);
      settings = next;
      if (!next.enabled) nextError = undefined;
      keep(true);
      return settings;
    },
    modeFor: (scope: { origin: string; rpId: string }): DevMode | undefined => devModeFor(settings, scope),
    setNextError(e: SimulatedError | undefined): void {
      nextError = e;
      keep(true);
    },
    nextError: () => nextError,
    /** The simulated error for this ceremony, used up (developer mode only). */
    takeNextError(): SimulatedError | undefined {
      if (!settings.enabled) return undefined;
      const e = nextError;
      nextError = undefined;
      if (e) keep(true);
      return e;
    },
    record(entry: Omit<LoggedCeremony, 'seq'>): void {
      if (!settings.enabled) return;
      log.push({ ...entry, seq: ++seq });
      if (log.length > LOG_SIZE) log.splice(0, log.length - LOG_SIZE);
      keep();
    },
    /** Decoded ceremonies, newest last. */
    async ceremonies(filter: CeremonyFilter = {}): Promise<(CeremonyRecord & { seq: number; tabId?: number })[]> {
      await ready;
      const chosen = log.filter((e) => matches(e, filter));
      return Promise.all(chosen.map(async ({ seq: n, tabId, ...input }) => ({ ...(await inspectCeremony(input)), seq: n, ...(tabId !== undefined ? { tabId } : {}) })));
    },
    clear(filter: CeremonyFilter = {}): void {
      for (let i = log.length - 1; i >= 0; i--) if (matches(log[i]!, filter)) log.splice(i, 1);
      keep(true);
    },
  };
}

export type DeveloperMode = ReturnType<typeof createDeveloperMode>;
