// Conditional create (WebAuthn L3 §5.1.3, `mediation: 'conditional'`): a site asks, after a password sign-in, to
// upgrade that account to a passkey without a window. Keyport never does so silently unless the person turned on
// "Upgrade my sign-ins to passkeys" for that site (a synced per-site record, vault/sitePrefs.ts). Until then a
// site's request only leaves a quiet offer: a badge on Keyport's button in that tab, and a switch in the popup.
// A passkey made this way is announced by a notification with an undo, and the popup offers the undo too.
import type { Vault } from '../vault/vault.ts';
import type { UpgradeView } from '../protocol/views.ts';
import { siteOf } from './consent.ts';
import type { UpgradeShell } from '../adapters/upgradeShell.ts';

/** How long the popup offers to undo an upgrade. */
export const UNDO_MS = 30 * 60_000;

export function createUpgrades(deps: {
  vault: Pick<Vault, 'isUnlocked' | 'upgradeSites' | 'allowUpgrades' | 'stopUpgrades' | 'remove'>;
  shell: UpgradeShell;
  now: () => number;
}) {
  /** Sites that asked and were not allowed, with the tabs that show the badge for them. */
  const offers = new Map<string, { at: number; tabs: Set<number> }>();
  /** Passkeys made by upgrades lately, newest last. */
  let made: { credentialId: string; site: string; userName: string; at: number }[] = [];
  const allowedSite = (site: string) => deps.vault.isUnlocked() && deps.vault.upgradeSites().includes(site);
  const recent = () => (made = made.filter((m) => deps.now() - m.at < UNDO_MS));
  const noticeId = (credentialId: string) => `upgrade:${credentialId}`;

  function clearOffer(site: string): void {
    for (const tabId of offers.get(site)?.tabs ?? []) deps.shell.badge(tabId, false);
    offers.delete(site);
  }

  async function undo(credentialId: string): Promise<boolean> {
    if (!made.some((m) => m.credentialId === credentialId)) return false;
    made = made.filter((m) => m.credentialId !== credentialId);
    deps.shell.dismiss(noticeId(credentialId));
    return deps.vault.remove(credentialId);
  }

  return {
    /** Whether a conditional create for `rpId` may make a passkey without asking (the vault is open). */
    allowed: (rpId: string) => allowedSite(siteOf(rpId)),
    /** A site asked and was not allowed: a quiet offer in that tab, never a window. */
    offer(tabId: number | undefined, rpId: string): void {
      const site = siteOf(rpId);
      const o = offers.get(site) ?? { at: 0, tabs: new Set<number>() };
      o.at = deps.now();
      if (tabId !== undefined) {
        o.tabs.add(tabId);
        deps.shell.badge(tabId, true);
      }
      offers.set(site, o);
    },
    /** What the popup shows for `site`. */
    view(site: string | undefined): UpgradeView | undefined {
      if (!site || !deps.vault.isUnlocked()) return undefined;
      const allowed = allowedSite(site);
      return {
        allowed,
        offered: !allowed && offers.has(site),
        made: recent()
          .filter((m) => m.site === site)
          .map(({ credentialId, userName, at }) => ({ credentialId, userName, at })),
      };
    },
    /**
     * The person's answer in the popup: upgrades on `site` on or off. Either way the badge goes; turned off, the
     * switch stays in the popup (an answered offer), so that it does not vanish under the person's hand.
     */
    async set(site: string, on: boolean): Promise<void> {
      await (on ? deps.vault.allowUpgrades(site) : deps.vault.stopUpgrades(site));
      clearOffer(site);
      if (!on) offers.set(site, { at: deps.now(), tabs: new Set() });
    },
    /** A passkey was made by an upgrade: the notification says so, with an undo. */
    made(p: { credentialId: string; rpId: string; userName: string }): void {
      const site = siteOf(p.rpId);
      recent().push({ credentialId: p.credentialId, site, userName: p.userName, at: deps.now() });
      deps.shell.notify({ id: noticeId(p.credentialId), site, userName: p.userName }, () => void undo(p.credentialId).catch(() => {}));
    },
    /** Removes a passkey an upgrade made lately (the popup's or the notification's undo). */
    undo,
    tabClosed(tabId: number): void {
      for (const o of offers.values()) o.tabs.delete(tabId);
    },
  };
}

export type Upgrades = ReturnType<typeof createUpgrades>;
