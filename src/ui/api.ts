// The UI pages' only way to the background: validated runtime messages (never key material back).
import browser from 'webextension-polyfill';
import type { RuntimeMessage } from '../app/messages.ts';

export function send<T>(message: RuntimeMessage): Promise<T> {
  return browser.runtime.sendMessage<RuntimeMessage, T>(message);
}
