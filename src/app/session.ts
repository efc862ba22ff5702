// The session of an unlocked vault: who proved the master password and when (UV, and re-authentication for what
// hands the vault away), activity and auto-lock, and the growing delay after wrong passwords. It owns that state;
// the rest of the background asks it.
import browser from 'webextension-polyfill';
import { sessionGet, sessionSet } from '../adapters/session.ts';
import type { Vault } from '../vault/vault.ts';
import { WrongPasswordError } from '../vault/keys.ts';
import { type PasswordGuard, guardedCheck } from './passwordGuard.ts';
import { progressReporter } from './progress.ts';
import { AUTOLOCK_CHOICES } from '../protocol/messages.ts';
import { ALARMS, STORAGE } from '../protocol/storage.ts';


/**
 * The auto-lock time as stored in storage.local, which a content script can write: at most the longest choice
 * offered (never "unlocked for a year"), at least a minute; anything else reads as the default.
 */
export function autoLockMinutes(stored: unknown): number {
  if (typeof stored !== 'number' || !Number.isFinite(stored)) return 15;
  return Math.min(Math.max(1, stored), AUTOLOCK_CHOICES[AUTOLOCK_CHOICES.length - 1]!);
}

export function createSession(deps: {
  vault: Vault;
  guard: PasswordGuard;
  /** Whoever waits for an unlock or a proven password: consent windows, autofill lists, sync. */
  onUnlocked: () => void;
  /** Before the vault locks (sync stops). */
  onLocking: () => void;
}) {
  const { vault } = deps;
  let lastPasswordProof = 0;
  // Last activity, for auto-lock: kept in memory, and mirrored to storage.session (for a restarted worker)
  // at most once a second, after the answer has gone out: a storage write in every ceremony cost about
  // 0.2 ms of each sign-in (npm run bench). The auto-lock alarm reads the later of the two.
  let lastActivity = 0;
  let activityWrite: ReturnType<typeof setTimeout> | undefined;

  function recordActivity(): void {
    lastActivity = Date.now();
    activityWrite ??= setTimeout(() => {
      activityWrite = undefined;
      void sessionSet(STORAGE.lastActivity, lastActivity);
    }, 1000);
  }
  /** The master password was proven (unlock, setup, restore, UV): UV counts for UV_GRACE_MS from now. */
  function passwordProven(): void {
    lastPasswordProof = Date.now();
    void sessionSet(STORAGE.lastPasswordProof, lastPasswordProof);
    deps.onUnlocked();
  }
  async function lock(): Promise<void> {
    deps.onLocking();
    await vault.lock();
  }
  /** Unlocks with the master password (the automation API's unlock: no delay). */
  async function unlock(password: string): Promise<void> {
    await vault.unlock(password, progressReporter('unlock'));
    passwordProven();
    recordActivity();
  }
  function guarded(check: () => Promise<void>) {
    return guardedCheck(deps.guard, check, (e) => e instanceof WrongPasswordError);
  }

  void browser.alarms.create(ALARMS.autoLock, { periodInMinutes: 1 });
  browser.alarms.onAlarm.addListener((alarm) => void (async () => {
    if (alarm.name !== ALARMS.autoLock || !vault.isUnlocked()) return;
    const minutes = autoLockMinutes((await browser.storage.local.get(STORAGE.autoLockMinutes.name))[STORAGE.autoLockMinutes.name]);
    const last = Math.max(lastActivity, await sessionGet(STORAGE.lastActivity, Date.now()));
    if (Date.now() - last > minutes * 60_000) await lock();
  })());

  return {
    /** After a restarted service worker: the last proof, from storage.session. */
    async load(): Promise<void> {
      lastPasswordProof = await sessionGet(STORAGE.lastPasswordProof, 0);
    },
    lastPasswordProof: () => lastPasswordProof,
    recordActivity,
    passwordProven,
    lock,
    guarded,
    unlock,
    /** The screens' unlock: a wrong password counts toward the growing delay (passwordGuard.ts). */
    unlockGuarded: (password: string) => guarded(() => unlock(password)),
    /** User verification in a consent window: the same guard, and a proof that counts for UV_GRACE_MS. */
    verifyPassword(password: string) {
      return guarded(async () => {
        await vault.verifyPassword(password);
        passwordProven();
      });
    },
    /**
     * Re-authentication for what hands the vault away (issue 13 item 5; docs/design.md, "Someone at an unlocked
     * browser"): the master password again, through the unlock's growing delay, even while unlocked. Throws the
     * guard's sentence; nothing is done on a wrong password. The automation API (background only) does not ask.
     */
    async reauthenticate(password: string, missing = 'Type your master password to confirm.'): Promise<void> {
      if (!vault.isUnlocked()) throw new Error('Unlock Keyport first.');
      if (!password) throw new Error(missing);
      const checked = await guarded(() => vault.verifyPassword(password, progressReporter('reauth')));
      if (!checked.ok) throw new Error(checked.error);
    },
  };
}

export type Session = ReturnType<typeof createSession>;
