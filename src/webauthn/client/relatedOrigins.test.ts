// WebAuthn L3 §5.11.1, the related origins validation procedure: the document's checks and the decision.
import { describe, expect, it } from 'vitest';
import { WebAuthnError } from '../errors.ts';
import { type FetchedDocument, MAX_DOCUMENT_BYTES, listsOrigin, mayAskRelated, parseWellKnown, registrableOriginLabel } from './relatedOrigins.ts';

const json = (value: unknown, over: Partial<FetchedDocument> = {}): FetchedDocument => ({
  status: 200,
  contentType: 'application/json',
  redirected: false,
  body: new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)),
  tooLarge: false,
  ...over,
});

function errorName(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebAuthnError);
    return (e as WebAuthnError).name;
  }
  return undefined;
}

// The shape of the spec's own example (§5.11): one brand under several public suffixes, then other brands.
const BRANDS = [
  'https://example.co.uk',
  'https://example.de',
  'https://example.sg',
  'https://example.net',
  'https://exampledelivery.com',
  'https://exampledelivery.co.uk',
  'https://exampledelivery.de',
  'https://myexamplerewards.com',
  'https://examplecars.com',
];

describe('registrableOriginLabel: the first label of the registrable domain', () => {
  it.each([
    ['example.co.uk', 'example'],
    ['www.example.co.uk', 'example'],
    ['login.example.com', 'example'],
    ['app.user.github.io', 'user'], // private section of the list, as browsers use it
    ['other.test', 'other'],
  ])('%s → %s', (host, label) => expect(registrableOriginLabel(host)).toBe(label));

  it.each(['co.uk', 'com', 'github.io', '192.168.0.1', 'localhost'])('%s has none', (host) => expect(registrableOriginLabel(host)).toBeNull());
});

describe('listsOrigin: §5.11.1 steps 3–5', () => {
  it('Spec: an origin in the list is accepted, one not in it is not', () => {
    expect(listsOrigin(BRANDS, 'https://example.de')).toBe(true);
    expect(listsOrigin(BRANDS, 'https://examplecars.com')).toBe(true);
    expect(listsOrigin(BRANDS, 'https://example.fr')).toBe(false);
    expect(listsOrigin(BRANDS, 'https://evil.example')).toBe(false);
  });

  it('Spec: same origin means scheme, host and port; a subdomain is not listed by its parent', () => {
    expect(listsOrigin(['https://shop.example:8443'], 'https://shop.example:8443')).toBe(true);
    expect(listsOrigin(['https://shop.example:8443'], 'https://shop.example')).toBe(false);
    expect(listsOrigin(['https://shop.example'], 'https://www.shop.example')).toBe(false);
    expect(listsOrigin(['http://shop.example'], 'https://shop.example')).toBe(false);
    expect(listsOrigin(['https://shop.example:443/path?q#f'], 'https://shop.example')).toBe(true); // an origin, path ignored
    expect(listsOrigin(['HTTPS://SHOP.EXAMPLE'], 'https://shop.example')).toBe(true); // URL parsing lower-cases
  });

  it('Spec: at most five labels; entries past them with a new label are skipped, old labels still count', () => {
    const six = ['https://a.com', 'https://b.com', 'https://c.com', 'https://d.com', 'https://e.com', 'https://f.com'];
    expect(listsOrigin(six, 'https://e.com')).toBe(true);
    expect(listsOrigin(six, 'https://f.com')).toBe(false); // the sixth label
    expect(listsOrigin([...six, 'https://a.co.uk'], 'https://a.co.uk')).toBe(true); // label "a", already seen
    // One label under many suffixes is one label: the spec's example lists four labels in nine origins.
    expect(listsOrigin([...BRANDS, 'https://examplegames.com', 'https://exampletravel.com'], 'https://examplegames.com')).toBe(true);
    expect(listsOrigin([...BRANDS, 'https://examplegames.com', 'https://exampletravel.com'], 'https://exampletravel.com')).toBe(false);
  });

  it('Spec: entries that are no URL, or have no registrable domain, are skipped without using a label', () => {
    const junk = ['not a url', '', 'https://com', 'https://192.168.0.1', 'https://localhost', 'data:text/plain,x', 'blob:https://a.com/x'];
    const five = ['https://a.com', 'https://b.com', 'https://c.com', 'https://d.com', 'https://e.com'];
    expect(listsOrigin([...junk, ...five], 'https://e.com')).toBe(true);
    expect(listsOrigin(['https://192.168.0.1'], 'https://192.168.0.1')).toBe(false);
    expect(listsOrigin(['https://com'], 'https://com')).toBe(false);
  });

  it('a maxLabels of one', () => {
    expect(listsOrigin(['https://a.com', 'https://b.com'], 'https://b.com', 1)).toBe(false);
  });
});

describe('parseWellKnown: §5.11.1 step 2, the fetched document', () => {
  it('Spec: {"origins": [...]}, other members ignored; a charset parameter is fine', () => {
    expect(parseWellKnown('rp.example', json({ origins: BRANDS }))).toEqual(BRANDS);
    expect(parseWellKnown('rp.example', json({ origins: [], note: 'x' }))).toEqual([]);
    expect(parseWellKnown('rp.example', json({ origins: ['https://a.com'] }, { contentType: 'Application/JSON; charset=utf-8' }))).toEqual(['https://a.com']);
  });

  it.each<[string, FetchedDocument]>([
    ['a redirect to another host', json({ origins: BRANDS }, { redirected: true })],
    ['HTTP 404', json({ origins: BRANDS }, { status: 404 })],
    ['HTTP 204', json('', { status: 204 })],
    ['text/plain', json({ origins: BRANDS }, { contentType: 'text/plain' })],
    ['text/json', json({ origins: BRANDS }, { contentType: 'text/json' })],
    ['no content type', json({ origins: BRANDS }, { contentType: null })],
    ['too large (streamed past the cap)', json('', { tooLarge: true })],
    ['too large (the body itself)', json(`{"origins": []}${' '.repeat(MAX_DOCUMENT_BYTES)}`)],
    ['not JSON', json('{"origins": [')],
    ['not UTF-8', json('', { body: Uint8Array.of(0x7b, 0xff, 0x7d) })],
    ['a list, not an object', json(BRANDS)],
    ['no origins member', json({ origin: BRANDS })],
    ['origins not a list', json({ origins: 'https://a.com' })],
    ['origins with a non-string', json({ origins: ['https://a.com', 1] })],
    ['null', json('null')],
  ])('Spec: %s → SecurityError', (_why, doc) => {
    expect(errorName(() => parseWellKnown('rp.example', doc))).toBe('SecurityError');
  });
});

describe('mayAskRelated: only a registrable host name is ever fetched', () => {
  it.each(['rp.example', 'login.example.co.uk', 'user.github.io', 'rp.test'])('%s may be asked about', (rpId) => expect(mayAskRelated(rpId)).toBe(true));
  it.each([
    '', 'com', 'co.uk', 'github.io', 'localhost', '127.0.0.1', '[::1]', '0x7f.1', 'Example.com', 'example.com.', '.example.com',
    'example.com:8443', 'example.com/path', 'user@example.com', 'bücher.example', 'a..example', 'exa mple.com',
  ])('%j is refused without a fetch', (rpId) => expect(mayAskRelated(rpId)).toBe(false));
});
