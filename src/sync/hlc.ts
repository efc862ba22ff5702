// Hybrid logical clocks: Kulkarni, Demirbas, Madeppa, Avva, Leone, "Logical Physical Clocks and
// Consistent Snapshots in Globally Distributed Databases" (OPODIS 2014), Figure 5. A timestamp is
// (l, c) — here `wall` (ms, the largest physical time seen) and `counter` — plus the replica's `node`
// id to make the order total. Sync uses it for last-writer-wins per record (merge.ts).

export interface Hlc {
  /** l: the largest wall-clock time (ms since the epoch) this clock has seen. */
  readonly wall: number;
  /** c: orders events that share `wall`. */
  readonly counter: number;
  /** The replica that made the timestamp: 16 lowercase hex digits, random per replica. */
  readonly node: string;
}

/** 12 hex digits of milliseconds reach the year 10889; the encoding stays fixed-width below that. */
export const MAX_WALL = 0xffff_ffff_ffff;
/** 6 hex digits. A burst of more events in one millisecond carries into `wall` (see `tick`). */
export const MAX_COUNTER = 0xff_ffff;
const NODE = /^[0-9a-f]{16}$/;
const ENCODED = /^([0-9a-f]{12})-([0-9a-f]{6})-([0-9a-f]{16})$/;

function assertHlc(h: Hlc, name: string): void {
  if (typeof h !== 'object' || h === null) throw new TypeError(`${name}: expected an HLC object, got ${h === null ? 'null' : typeof h}`);
  if (!Number.isSafeInteger(h.wall) || h.wall < 0 || h.wall > MAX_WALL) throw new RangeError(`${name}.wall: expected an integer in [0, ${MAX_WALL}], got ${h.wall}`);
  if (!Number.isSafeInteger(h.counter) || h.counter < 0 || h.counter > MAX_COUNTER) throw new RangeError(`${name}.counter: expected an integer in [0, ${MAX_COUNTER}], got ${h.counter}`);
  if (typeof h.node !== 'string' || !NODE.test(h.node)) throw new RangeError(`${name}.node: expected 16 lowercase hex digits, got ${JSON.stringify(h.node)}`);
}

function assertNow(now: number): number {
  if (!Number.isFinite(now) || now < 0) throw new RangeError(`now: expected a time in ms since the epoch, got ${now}`);
  return Math.min(Math.floor(now), MAX_WALL);
}

/** A random node id: 8 bytes as 16 hex digits (collisions between a person's browsers: ~2^-64 per pair). */
export function newNodeId(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The clock of a replica that has seen nothing yet. */
export function zero(node: string): Hlc {
  const h = { wall: 0, counter: 0, node };
  assertHlc(h, 'zero');
  return h;
}

/** Keeps `counter` within its width: an overflow moves to the next millisecond (still strictly increasing). */
function carry(wall: number, counter: number, node: string): Hlc {
  if (counter > MAX_COUNTER) {
    if (wall >= MAX_WALL) throw new RangeError('HLC: the clock has reached its largest value');
    return { wall: wall + 1, counter: 0, node };
  }
  return { wall, counter, node };
}

/** A local or send event (Figure 5, "Send or local event"): the new clock, which is also the event's timestamp. */
export function tick(clock: Hlc, now: number): Hlc {
  assertHlc(clock, 'clock');
  const pt = assertNow(now);
  const wall = Math.max(clock.wall, pt);
  return carry(wall, wall === clock.wall ? clock.counter + 1 : 0, clock.node);
}

/**
 * A receive event (Figure 5, "Receive event of message m"): a timestamp after both the local clock and
 * `remote`. Used before editing a record, with the record's current timestamp as `remote`, so that the
 * edit wins over every version this replica has seen.
 */
export function receive(clock: Hlc, remote: Hlc, now: number): Hlc {
  assertHlc(clock, 'clock');
  assertHlc(remote, 'remote');
  const pt = assertNow(now);
  const wall = Math.max(clock.wall, remote.wall, pt);
  let counter: number;
  if (wall === clock.wall && wall === remote.wall) counter = Math.max(clock.counter, remote.counter) + 1;
  else if (wall === clock.wall) counter = clock.counter + 1;
  else if (wall === remote.wall) counter = remote.counter + 1;
  else counter = 0;
  return carry(wall, counter, clock.node);
}

/** The total order: wall, then counter, then node. Negative, zero or positive, like a sort comparator. */
export function compare(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** "wwwwwwwwwwww-cccccc-nnnnnnnnnnnnnnnn": fixed-width lowercase hex, so string order is `compare`'s order. */
export function encode(h: Hlc): string {
  assertHlc(h, 'hlc');
  return `${h.wall.toString(16).padStart(12, '0')}-${h.counter.toString(16).padStart(6, '0')}-${h.node}`;
}

export function isEncodedHlc(text: unknown): text is string {
  return typeof text === 'string' && ENCODED.test(text);
}

export function decode(text: string): Hlc {
  if (typeof text !== 'string') throw new TypeError(`HLC: expected a string, got ${typeof text}`);
  const m = ENCODED.exec(text);
  if (!m) throw new RangeError(`HLC: expected "wall(12 hex)-counter(6 hex)-node(16 hex)", got ${JSON.stringify(text.slice(0, 64))}`);
  return { wall: parseInt(m[1]!, 16), counter: parseInt(m[2]!, 16), node: m[3]! };
}

/** A replica's clock as a small mutable holder over the pure functions above. */
export interface Clock {
  readonly node: string;
  current(): Hlc;
  /** Timestamp for a new record. */
  tick(now: number): Hlc;
  /** Timestamp for an edit of a record whose current version has timestamp `remote`. */
  receive(remote: Hlc, now: number): Hlc;
}

export function createClock(node: string = newNodeId(), start?: Hlc): Clock {
  let state = start ?? zero(node);
  if (state.node !== node) state = { ...state, node };
  assertHlc(state, 'start');
  return {
    node,
    current: () => state,
    tick: (now) => (state = tick(state, now)),
    receive: (remote, now) => (state = receive(state, remote, now)),
  };
}
