import { describe, expect, it } from 'vitest';
import { serializeClientData } from './clientData.ts';

const text = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);
const CHALLENGE = Uint8Array.of(0xfb, 0xff, 0x00, 0x01); // base64url "-_8AAQ"

describe('WebAuthn L3 §5.8.1.1 serialization of CollectedClientData', () => {
  it('Spec: same-origin: type, challenge, origin, crossOrigin in this order, no whitespace', () => {
    const out = serializeClientData({ type: 'webauthn.create', challenge: CHALLENGE, origin: 'https://login.example.com', crossOrigin: false });
    expect(text(out)).toBe('{"type":"webauthn.create","challenge":"-_8AAQ","origin":"https://login.example.com","crossOrigin":false}');
  });

  it('takes the challenge as its canonical base64url text too, with the same bytes', () => {
    const fromText = serializeClientData({ type: 'webauthn.create', challenge: '-_8AAQ', origin: 'https://login.example.com', crossOrigin: false });
    expect(fromText).toEqual(serializeClientData({ type: 'webauthn.create', challenge: CHALLENGE, origin: 'https://login.example.com', crossOrigin: false }));
  });

  it('Spec: webauthn.get has the same prefix shape', () => {
    const out = serializeClientData({ type: 'webauthn.get', challenge: new Uint8Array(0), origin: 'http://localhost:8080', crossOrigin: false });
    expect(text(out)).toBe('{"type":"webauthn.get","challenge":"","origin":"http://localhost:8080","crossOrigin":false}');
  });

  it('Spec: cross-origin: crossOrigin true followed by topOrigin', () => {
    const out = serializeClientData({
      type: 'webauthn.get',
      challenge: CHALLENGE,
      origin: 'https://login.example.com',
      crossOrigin: true,
      topOrigin: 'https://shop.example',
    });
    expect(text(out)).toBe(
      '{"type":"webauthn.get","challenge":"-_8AAQ","origin":"https://login.example.com","crossOrigin":true,"topOrigin":"https://shop.example"}',
    );
  });

  it('Spec: topOrigin is written only for a cross-origin call', () => {
    const out = serializeClientData({ type: 'webauthn.get', challenge: CHALLENGE, origin: 'https://a.example', crossOrigin: false, topOrigin: 'https://b.example' });
    expect(text(out)).not.toContain('topOrigin');
  });

  it('cross-origin without a known topOrigin omits it', () => {
    const out = serializeClientData({ type: 'webauthn.get', challenge: CHALLENGE, origin: 'https://a.example', crossOrigin: true });
    expect(text(out)).toBe('{"type":"webauthn.get","challenge":"-_8AAQ","origin":"https://a.example","crossOrigin":true}');
  });
});

describe('WebAuthn L3 §5.8.1.2 CCDToString', () => {
  const origin = (o: string) => text(serializeClientData({ type: 'webauthn.get', challenge: new Uint8Array(0), origin: o, crossOrigin: false }));
  const field = (json: string) => json.slice(json.indexOf('"origin":') + 9, json.indexOf(',"crossOrigin"'));

  it('Spec: escapes " as \\" and \\ as \\\\', () => {
    expect(field(origin('a"b\\c'))).toBe('"a\\"b\\\\c"');
  });

  it('Spec: escapes code points below U+0020 as \\u and four lower-case hex digits', () => {
    expect(field(origin('\u0000\n\t\u001f\u001b'))).toBe('"\\u0000\\u000a\\u0009\\u001f\\u001b"');
  });

  it('Spec: leaves U+0020 and above (including DEL, "/" and non-ASCII) as UTF-8', () => {
    const s = ' /\u007f\u00e9\u6c34\u{1f511}';
    expect(field(origin(s))).toBe(`"${s}"`);
    const bytes = serializeClientData({ type: 'webauthn.get', challenge: new Uint8Array(0), origin: '\u00e9', crossOrigin: false });
    expect(Buffer.from(bytes).includes(Buffer.from([0xc3, 0xa9]))).toBe(true);
  });

  it('JSON.parse reads back the same members for awkward strings', () => {
    const awkward = 'https://x.example/"\\\u0001\u001f\u00fc\u{1f511}';
    const json = JSON.parse(
      text(serializeClientData({ type: 'webauthn.create', challenge: CHALLENGE, origin: awkward, crossOrigin: true, topOrigin: awkward + '\n' })),
    ) as object;
    expect(json).toEqual({ type: 'webauthn.create', challenge: '-_8AAQ', origin: awkward, crossOrigin: true, topOrigin: awkward + '\n' });
    expect(Object.keys(json)).toEqual(['type', 'challenge', 'origin', 'crossOrigin', 'topOrigin']);
  });
});
