// The screens' side of src/app/progress.ts (the message: protocol/messages.ts PROGRESS): follow one task's progress while a request runs.
import browser from 'webextension-polyfill';
import { PROGRESS, type ProgressMessage, type ProgressTask } from '../protocol/messages.ts';

/** Calls back with each fraction (0..1) the background reports for `task`; returns the unsubscribe. */
export function watchProgress(task: ProgressTask, onFraction: (fraction: number) => void): () => void {
  const listener = (raw: unknown) => {
    const m = raw as Partial<ProgressMessage> | null;
    if (m?.type === PROGRESS && m.task === task && typeof m.fraction === 'number') onFraction(m.fraction);
    return undefined;
  };
  browser.runtime.onMessage.addListener(listener);
  return () => browser.runtime.onMessage.removeListener(listener);
}
