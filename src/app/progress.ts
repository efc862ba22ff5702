// Progress of slow background work (Argon2id takes about 2 s) for the screen that started it: broadcast
// as a runtime message that every extension page may hear; it carries a task name and a fraction only.
import browser from 'webextension-polyfill';
import { PROGRESS, type ProgressMessage, type ProgressTask } from '../protocol/messages.ts';


/** An onProgress callback that reports each further 2 % (and the end), so a page repaints about 50 times. */
export function progressReporter(task: ProgressTask, post: (m: ProgressMessage) => Promise<unknown> = (m) => browser.runtime.sendMessage(m)): (fraction: number) => void {
  let last = -1;
  return (fraction) => {
    if (fraction < 1 && fraction - last < 0.02) return;
    last = fraction;
    post({ type: PROGRESS, task, fraction: Math.min(1, Math.max(0, fraction)) }).catch(() => {}); // no page listening
  };
}

/** The screens' reporter, and the caller's own callback when it gave one (the automation API's callers). */
export function alsoReport(task: ProgressTask, own?: (fraction: number) => void): (fraction: number) => void {
  const report = progressReporter(task);
  return own ? (f) => (report(f), own(f)) : report;
}
