// The UI pages' only way to the background: validated runtime messages (never key material back). The answer's
// type is the one protocol/messages.ts declares for the message, never the caller's choice.
import browser from 'webextension-polyfill';
import type { Answer, Message, MessageType } from '../protocol/messages.ts';

export function send<K extends MessageType>(message: Message<K> & { type: K }): Promise<Answer<K>> {
  return browser.runtime.sendMessage<Message<K>, Answer<K>>(message);
}
