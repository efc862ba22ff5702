// The consent windows' bookkeeping against a scripted windows API: one window per session, closed at the end,
// a closed window cancels, a newer request from the same tab takes over the window, and no window outlives an abort.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => {
  const state = {
    nextId: 1,
    open: new Map<number, string>(),
    created: [] as string[],
    removedListeners: [] as ((id: number) => void)[],
    /** Holds windows.create until release() (to abort meanwhile). */
    gate: undefined as Promise<void> | undefined,
  };
  const browser = {
    runtime: { getURL: (p: string) => `ext://keyport${p}` },
    windows: {
      async create({ url }: { url: string }) {
        if (state.gate) await state.gate;
        const id = state.nextId++;
        state.open.set(id, url);
        state.created.push(url);
        return { id };
      },
      async remove(id: number) {
        if (!state.open.delete(id)) throw new Error('No window with id');
        for (const l of state.removedListeners) l(id);
      },
      async update() {
        return {};
      },
      onRemoved: { addListener: (l: (id: number) => void) => state.removedListeners.push(l) },
    },
    tabs: {
      async query({ windowId }: { windowId: number }) {
        return state.open.has(windowId) ? [{ id: windowId * 100 }] : [];
      },
      async update(tabId: number, { url }: { url: string }) {
        state.open.set(tabId / 100, url);
        return {};
      },
    },
  };
  return { state, browser };
});
vi.mock('webextension-polyfill', () => ({ default: fake.browser }));

const { createConsentWindows } = await import('./consent.ts');

const view = { kind: 'get' as const, origin: 'https://login.example.com', rpId: 'example.com', locked: false };
const settle = () => new Promise((r) => setTimeout(r, 0));
/** The user closes a window (the browser removes it and tells the listeners). */
const closeByHand = (id: number) => fake.browser.windows.remove(id);

beforeEach(() => {
  fake.state.open.clear();
  fake.state.created.length = 0;
  fake.state.removedListeners.length = 0;
  fake.state.gate = undefined;
});

describe('consent windows', () => {
  it('opens one window for a session, with the registrable domain in the view, and removes it at the end', async () => {
    const windows = createConsentWindows();
    const s = windows.session(view, new AbortController().signal);
    expect(s.view.site).toBe('example.com');
    const asked = s.ask({ accounts: [] });
    await settle();
    expect(fake.state.open.size).toBe(1);
    expect(windows.decide(s.view.id, 'approve', 'abc')).toBe(true);
    await expect(asked).resolves.toEqual({ action: 'approve', credentialId: 'abc' });
    await s.close();
    expect(fake.state.open.size).toBe(0);
    expect(windows.view(s.view.id)).toBeUndefined();
  });

  it('a window closed by the person cancels: NotAllowedError', async () => {
    const windows = createConsentWindows();
    const s = windows.session(view, new AbortController().signal);
    const asked = s.ask({});
    await settle();
    const [id] = fake.state.open.keys();
    await closeByHand(id!);
    await expect(asked).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('an abort rejects the wait (NotAllowedError; the ceremony names it) and close() takes the window away', async () => {
    const windows = createConsentWindows();
    const abort = new AbortController();
    const s = windows.session(view, abort.signal);
    const asked = s.ask({});
    await settle();
    abort.abort();
    await expect(asked).rejects.toMatchObject({ name: 'NotAllowedError' });
    await s.close();
    expect(fake.state.open.size).toBe(0);
  });

  it('a window still being made when the ceremony ends is taken away once it exists', async () => {
    let release!: () => void;
    fake.state.gate = new Promise<void>((r) => (release = r));
    const windows = createConsentWindows();
    const abort = new AbortController();
    const s = windows.session(view, abort.signal);
    const asked = s.ask({}).catch((e: Error) => e);
    await settle();
    abort.abort();
    await s.close(); // the finally of the ceremony, before the window exists
    release();
    await asked;
    await settle();
    expect(fake.state.created).toHaveLength(1);
    expect(fake.state.open.size).toBe(0);
  });

  it('a newer request from the same tab ends the older one with AbortError and takes over its window', async () => {
    const windows = createConsentWindows();
    const first = windows.session(view, new AbortController().signal, 'tab:7');
    const firstAsked = first.ask({}).catch((e: Error) => e);
    await settle();
    const [windowId] = fake.state.open.keys();
    const second = windows.session({ ...view, kind: 'create' }, new AbortController().signal, 'tab:7');
    expect(await firstAsked).toMatchObject({ name: 'AbortError' });
    await first.close(); // the older ceremony's finally: the window is no longer its own
    expect(fake.state.open.size).toBe(1);
    const secondAsked = second.ask({ userName: 'ann' });
    await settle();
    expect(fake.state.created).toHaveLength(1);
    expect(fake.state.open.get(windowId!)).toBe(`ext://keyport/consent.html#${second.view.id}`);
    windows.decide(second.view.id, 'approve');
    await expect(secondAsked).resolves.toEqual({ action: 'approve', credentialId: undefined });
    await second.close();
    expect(fake.state.open.size).toBe(0);
  });

  it('requests from different tabs each have their own window', async () => {
    const windows = createConsentWindows();
    const a = windows.session(view, new AbortController().signal, 'tab:1');
    const b = windows.session(view, new AbortController().signal, 'tab:2');
    void a.ask({});
    void b.ask({});
    await settle();
    expect(fake.state.open.size).toBe(2);
    await a.close();
    await b.close();
    expect(fake.state.open.size).toBe(0);
  });

  it('"use another device or security key" while locked ends the wait for the unlock', async () => {
    const windows = createConsentWindows();
    const s = windows.session({ ...view, locked: true }, new AbortController().signal);
    const waited = s.waitForUnlock();
    await settle();
    windows.decide(s.view.id, 'fallback');
    await expect(waited).resolves.toBe('fallback');
  });

  it('an unlock ends the wait for it', async () => {
    const windows = createConsentWindows();
    const s = windows.session({ ...view, locked: true }, new AbortController().signal);
    const waited = s.waitForUnlock();
    await settle();
    windows.unlocked();
    await expect(waited).resolves.toBe('unlocked');
    expect(s.view.locked).toBe(false);
  });

  it('names the top-level site of a cross-origin frame', () => {
    const windows = createConsentWindows();
    const s = windows.session({ ...view, crossOrigin: true, topOrigin: 'https://www.shop.example.co.uk' }, new AbortController().signal);
    expect(s.view.topSite).toBe('example.co.uk');
  });
});
