// Sentences about sync's state for the popup and Settings → Sync & recovery, in one place so both say the same.

const passkeys = (n: number) => `${n} passkey${n === 1 ? '' : 's'}`;

/**
 * Records the last sync could not open and does not hold yet (SyncStatus.unread): every later sync asks for
 * them again (src/sync/engine.ts). Their kind is inside the ciphertext, so they are counted as passkeys.
 */
export function unreadNote(n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`unreadNote: a count, got ${n}`);
  return `${passkeys(n)} could not be read from sync; retrying.`;
}

/** Why, and what it costs: shown under unreadNote where there is room. */
export function unreadWhy(n: number): string {
  const it = n === 1 ? 'it' : 'them';
  return `The sync server or the network altered or damaged ${it} on the way. Keyport asks for ${it} again on every sync; nothing in this browser was overwritten.`;
}

/** Altered copies of versions this browser already has (SyncStatus.tampered beyond unread): nothing is missing. */
export function alteredNote(n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`alteredNote: a count, got ${n}`);
  const records = `${n} record${n === 1 ? '' : 's'}`;
  return `${records} from sync arrived altered or damaged; this browser already had ${n === 1 ? 'that version' : 'those versions'} and ignored the altered ${n === 1 ? 'copy' : 'copies'}.`;
}
