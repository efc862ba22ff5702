// The browser's side of passkey upgrades (app/upgrades.ts): the badge of Keyport's button in one tab, and a
// notification with an undo. Chromium's notifications take buttons; Firefox's do not, so there clicking the
// notification itself is the undo, and its text says so.
import browser from 'webextension-polyfill';

/** What the browser shows: the badge of Keyport's button in a tab, and a notification with an undo. */
export interface UpgradeShell {
  badge(tabId: number, on: boolean): void;
  /** Shows the notice; `undo` runs if the person asks for it from the notification. */
  notify(notice: { id: string; site: string; userName: string }, undo: () => void): void;
  /** Takes the notice away (the undo was used elsewhere). */
  dismiss(id: string): void;
}

const BUTTONS = !import.meta.env.FIREFOX;

export function browserUpgradeShell(): UpgradeShell {
  const undos = new Map<string, () => void>();
  const undo = (id: string) => {
    const f = undos.get(id);
    if (!f) return;
    undos.delete(id);
    f();
    void browser.notifications.clear(id).catch(() => {});
  };
  browser.notifications.onClosed.addListener((id) => void undos.delete(id));
  if (BUTTONS) browser.notifications.onButtonClicked.addListener((id, button) => button === 0 && undo(id));
  else browser.notifications.onClicked.addListener(undo);
  return {
    badge(tabId, on) {
      void browser.action.setBadgeText({ tabId, text: on ? '+' : '' }).catch(() => {});
      if (on) void browser.action.setBadgeBackgroundColor({ tabId, color: '#2f5ed8' }).catch(() => {});
      void browser.action.setTitle({ tabId, title: on ? 'Keyport: this site offers to upgrade your sign-in to a passkey' : 'Keyport' }).catch(() => {});
    },
    dismiss(id) {
      undos.delete(id);
      void browser.notifications.clear(id).catch(() => {});
    },
    notify({ id, site, userName }, onUndo) {
      undos.set(id, onUndo);
      const options: browser.Notifications.CreateNotificationOptions & { buttons?: { title: string }[] } = {
        type: 'basic',
        iconUrl: browser.runtime.getURL('/icon/128.png'),
        title: `Passkey saved for ${site}`,
        message: `Keyport upgraded your sign-in as ${userName} to a passkey.${BUTTONS ? '' : ' Click to undo.'}`,
        ...(BUTTONS ? { buttons: [{ title: 'Undo' }] } : {}),
      };
      void browser.notifications.create(id, options).catch(() => undos.delete(id));
    },
  };
}
