// getClientCapabilities() (WebAuthn L3 §5.1.7), truthfully: Keyport's own answers merged with the browser's.
import { describe, expect, it } from 'vitest';
import { clientCapabilities } from './capabilities.ts';

// Chromium 156's own answer in a page while an extension holds its WebAuthn proxy (measured; headless, so no hybrid).
const CHROMIUM_156_PROXIED = {
  conditionalCreate: true, conditionalGet: false, 'extension:appid': true, 'extension:appidExclude': true, 'extension:cmtgKey': false,
  'extension:credBlob': true, 'extension:credProps': true, 'extension:credentialProtectionPolicy': true, 'extension:crossDeviceFallbackUrl': false,
  'extension:enforceCredentialProtectionPolicy': true, 'extension:getCredBlob': true, 'extension:hmacCreateSecret': true, 'extension:largeBlob': true,
  'extension:minPinLength': true, 'extension:payment': false, 'extension:prf': true, hybridTransport: false, immediateGet: true,
  passkeyPlatformAuthenticator: true, relatedOrigins: true, signalAllAcceptedCredentials: true, signalCurrentUserDetails: true,
  signalUnknownCredential: true, userVerifyingPlatformAuthenticator: true,
};

describe('clientCapabilities', () => {
  it('true only for what Keyport does; the browser’s other claims are false', () => {
    const caps = clientCapabilities(CHROMIUM_156_PROXIED);
    expect(Object.keys(caps).filter((k) => caps[k])).toEqual([
      'conditionalCreate', 'conditionalGet', 'extension:credBlob', 'extension:credProps', 'extension:getCredBlob', 'extension:largeBlob', 'extension:prf', 'immediateGet',
      'passkeyPlatformAuthenticator', 'relatedOrigins', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails', 'signalUnknownCredential',
      'userVerifyingPlatformAuthenticator',
    ]);
    for (const k of ['extension:appid', 'extension:hmacCreateSecret']) {
      expect(caps[k], k).toBe(false);
    }
  });

  it('lists every key the browser lists, in code-unit order', () => {
    const caps = clientCapabilities(CHROMIUM_156_PROXIED);
    expect(Object.keys(caps)).toEqual(Object.keys(CHROMIUM_156_PROXIED).sort());
  });

  it('hybridTransport is the browser’s own (the fallback offers its phone), never Keyport’s claim', () => {
    expect(clientCapabilities({ ...CHROMIUM_156_PROXIED, hybridTransport: true }).hybridTransport).toBe(true);
    expect(clientCapabilities({ hybridTransport: false }).hybridTransport).toBe(false);
    expect(clientCapabilities(undefined).hybridTransport).toBe(false);
  });

  it('without the browser’s answer (none, late, or not an object), Keyport’s own', () => {
    for (const browser of [undefined, null, 'x', 5]) {
      const caps = clientCapabilities(browser);
      expect(caps.conditionalGet).toBe(true);
      expect(caps.relatedOrigins).toBe(true);
      expect(caps.conditionalCreate).toBe(true);
      expect(caps['extension:appid']).toBe(false);
    }
    expect(Object.keys(clientCapabilities({ odd: 'yes' }))).not.toContain('odd');
  });
});
