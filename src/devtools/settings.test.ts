import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { KEYPORT_PROFILE } from '../webauthn/authenticator/profile.ts';
import {
  autoApprovalWidens,
  DEFAULT_DEV_SETTINGS,
  type DevSettingsInput,
  SimulatedErrorSchema,
  devModeFor,
  hostMatches,
  parseDevSettings,
  profileFor,
  simulatedAnswer,
} from './settings.ts';

const scope = (rpId: string, origin = `https://${rpId}`) => ({ origin, rpId });
const on = (over: DevSettingsInput = {}) => parseDevSettings({ enabled: true, ...over });

describe('parseDevSettings', () => {
  it('fills every left-out field with Keyport’s own behaviour', () => {
    expect(DEFAULT_DEV_SETTINGS).toEqual({
      enabled: false,
      autoApprove: false,
      attestation: 'none',
      userVerification: 'person',
      counter: { mode: 'zero' },
      sites: [],
    });
    expect(parseDevSettings({})).toEqual(DEFAULT_DEV_SETTINGS);
  });

  it('keeps a full, valid input as given, with match patterns trimmed and lower-cased', () => {
    const input = {
      enabled: true,
      autoApprove: true,
      attestation: 'packed',
      algorithms: [-8, -7],
      userVerification: 'up-only',
      backupEligible: false,
      backupState: true,
      counter: { mode: 'fixed', value: 0xffffffff },
      sites: [{ match: ' *.Example.COM ', counter: { mode: 'increment' }, algorithms: null, autoApprove: false }],
    };
    expect(parseDevSettings(input)).toEqual({ ...input, sites: [{ ...input.sites[0], match: '*.example.com' }] });
  });

  it('survives a JSON round trip (what storage and the automation API carry)', () => {
    const s = on({ sites: [{ match: 'a.example', backupState: null }] });
    expect(parseDevSettings(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it.each<[string, unknown, string]>([
    ['not an object', 5, 'must be an object, got 5'],
    ['null', null, 'must be an object, got null'],
    ['a flag of the wrong type', { enabled: 'yes' }, 'enabled: must be true or false, got "yes"'],
    ['a misspelt setting', { userVerfication: 'on' }, 'userVerfication: is not a developer setting'],
    ['an unknown UV mode', { userVerification: 'sometimes' }, 'userVerification: must be "person", "on", "off" or "up-only", got "sometimes"'],
    ['an unknown attestation', { attestation: 'tpm' }, 'attestation: must be "none" or "packed", got "tpm"'],
    ['an unsupported algorithm', { algorithms: [-7, -35] }, 'algorithms[1]: must be -7 (ES256), -8 (EdDSA) or -257 (RS256), got -35'],
    ['an empty algorithm list', { algorithms: [] }, 'algorithms: must name at least one algorithm'],
    ['an algorithm twice', { algorithms: [-7, -7] }, 'algorithms: must not name an algorithm twice.'],
    ['a fixed counter without value', { counter: { mode: 'fixed' } }, 'counter.value: is missing'],
    ['a negative counter', { counter: { mode: 'fixed', value: -1 } }, 'counter.value: must be at least 0, got -1'],
    ['a counter beyond 32 bits', { counter: { mode: 'fixed', value: 2 ** 32 } }, 'counter.value: must fit in 32 bits'],
    ['a fractional counter', { counter: { mode: 'fixed', value: 1.5 } }, 'counter.value: must be an integer, got 1.5'],
    ['an unknown counter mode', { counter: { mode: 'random' } }, 'counter.mode: must be { mode: "zero" }, { mode: "increment" } or { mode: "fixed", value }, got "random"'],
    ['sites not a list', { sites: 'example.com' }, 'sites: must be a list of site rules, got "example.com"'],
    ['a rule without match', { sites: [{ attestation: 'packed' }] }, 'sites[0].match: is missing'],
    ['an origin as match', { sites: [{ match: 'https://example.com' }] }, 'sites[0].match: must be a host name such as "example.com" or "*.example.com", got "https://example.com"'],
    ['a bare star', { sites: [{ match: '*' }] }, 'sites[0].match: must be a host name'],
    ['a star inside', { sites: [{ match: 'login.*.com' }] }, 'sites[0].match: must be a host name'],
    ['an unknown key in a rule', { sites: [{ match: 'a.com', enabled: true }] }, 'sites[0].enabled: is not a developer setting'],
  ])('refuses %s with a clear message', (_why, input, message) => {
    expect(() => parseDevSettings(input)).toThrow(TypeError);
    expect(() => parseDevSettings(input)).toThrow(`Developer settings: ${message}`);
  });

  it('names every problem at once', () => {
    expect(() => parseDevSettings({ enabled: 1, attestation: 2 })).toThrow(/enabled: .*; attestation: /);
  });
});

describe('hostMatches: whole labels only (STYLE.md on Bitwarden’s endsWith)', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['example.com', 'EXAMPLE.com.', true],
    ['example.com', 'login.example.com', false],
    ['*.example.com', 'example.com', true],
    ['*.example.com', 'login.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'evilexample.com', false],
    ['*.example.com', 'example.com.evil.org', false],
    ['login.example.com', 'evillogin.example.com', false],
  ])('%s ~ %s → %s', (pattern, host, expected) => {
    expect(hostMatches(pattern, host)).toBe(expected);
  });
});

describe('profileFor / devModeFor', () => {
  it('undefined while developer mode is off, whatever the rules', () => {
    const s = parseDevSettings({ enabled: false, attestation: 'packed', sites: [{ match: 'example.com' }] });
    expect(profileFor(s, scope('example.com'))).toBeUndefined();
    expect(devModeFor(s, scope('example.com'))).toBeUndefined();
  });

  it('on with the defaults: Keyport’s own profile, no site rule', () => {
    expect(profileFor(on(), scope('example.com'))).toEqual(KEYPORT_PROFILE);
    expect(devModeFor(on({ autoApprove: true }), scope('example.com'))).toEqual({ autoApprove: true, profile: KEYPORT_PROFILE });
  });

  it('the defaults make the profile', () => {
    const s = on({ attestation: 'packed', algorithms: [-257], userVerification: 'off', backupEligible: false, counter: { mode: 'increment' } });
    expect(profileFor(s, scope('example.com'))).toEqual({
      attestation: 'packed',
      algorithms: [-257],
      userVerification: 'off',
      backupEligible: false,
      counter: { mode: 'increment' },
    });
  });

  it('a matching rule overrides field by field; others keep the defaults', () => {
    const s = on({ attestation: 'packed', userVerification: 'on', sites: [{ match: 'example.com', userVerification: 'up-only', backupState: true }] });
    expect(devModeFor(s, scope('example.com'))).toEqual({
      autoApprove: false,
      site: 0,
      profile: { attestation: 'packed', userVerification: 'up-only', backupState: true, counter: { mode: 'zero' } },
    });
    expect(profileFor(s, scope('other.org'))).toEqual({ attestation: 'packed', userVerification: 'on', counter: { mode: 'zero' } });
  });

  it('the first matching rule wins', () => {
    const s = on({ sites: [{ match: 'login.example.com', counter: { mode: 'fixed', value: 1 } }, { match: '*.example.com', counter: { mode: 'fixed', value: 2 } }] });
    expect(profileFor(s, scope('login.example.com'))!.counter).toEqual({ mode: 'fixed', value: 1 });
    expect(profileFor(s, scope('example.com'))!.counter).toEqual({ mode: 'fixed', value: 2 });
    expect(devModeFor(s, scope('example.com'))!.site).toBe(1);
  });

  it('matches the RP ID or the origin’s host (port and scheme aside)', () => {
    const s = on({ sites: [{ match: 'login.example.com', attestation: 'packed' }] });
    expect(profileFor(s, scope('example.com', 'https://login.example.com:8443'))!.attestation).toBe('packed');
    expect(profileFor(s, scope('login.example.com', 'https://elsewhere.example'))!.attestation).toBe('packed');
    expect(profileFor(s, scope('example.com', 'https://www.example.com'))!.attestation).toBe('none');
    expect(profileFor(s, scope('example.com', 'not a url'))!.attestation).toBe('none');
  });

  it('null in a rule asks for Keyport’s own behaviour even when the defaults override it', () => {
    const s = on({ algorithms: [-8], backupEligible: false, backupState: true, sites: [{ match: 'example.com', algorithms: null, backupEligible: null, backupState: null }] });
    expect(profileFor(s, scope('example.com'))).toEqual(KEYPORT_PROFILE);
    expect(profileFor(s, scope('other.org'))).toMatchObject({ algorithms: [-8], backupEligible: false, backupState: true });
  });

  it('auto-approve per site', () => {
    const s = on({ autoApprove: true, sites: [{ match: '*.bank.example', autoApprove: false }] });
    expect(devModeFor(s, scope('bank.example'))!.autoApprove).toBe(false);
    expect(devModeFor(s, scope('shop.example'))!.autoApprove).toBe(true);
  });
});

describe('simulated errors', () => {
  it('the schema takes the three names and nothing else', () => {
    for (const e of ['NotAllowedError', 'InvalidStateError', 'timeout']) expect(v.parse(SimulatedErrorSchema, e)).toBe(e);
    expect(v.safeParse(SimulatedErrorSchema, 'AbortError').success).toBe(false);
  });

  it('a timeout is a NotAllowedError after the ceremony’s timer; the others answer at once', () => {
    expect(simulatedAnswer('timeout')).toMatchObject({ error: { name: 'NotAllowedError' }, afterTimeout: true });
    expect(simulatedAnswer('NotAllowedError')).toMatchObject({ error: { name: 'NotAllowedError' }, afterTimeout: false });
    expect(simulatedAnswer('InvalidStateError')).toMatchObject({ error: { name: 'InvalidStateError' }, afterTimeout: false });
  });
});

describe('autoApprovalWidens: the changes that ask for the master password', () => {
  const dev = (input: object) => parseDevSettings(input);
  const off = dev({});
  it('turning auto-approve on, or developer mode on with it, or a rule that approves', () => {
    expect(autoApprovalWidens(off, dev({ enabled: true, autoApprove: true }))).toBe(true);
    expect(autoApprovalWidens(dev({ autoApprove: true }), dev({ enabled: true, autoApprove: true }))).toBe(true);
    expect(autoApprovalWidens(dev({ enabled: true }), dev({ enabled: true, sites: [{ match: 'localhost', autoApprove: true }] }))).toBe(true);
    const one = dev({ enabled: true, sites: [{ match: 'a.example', autoApprove: true }] });
    expect(autoApprovalWidens(one, dev({ enabled: true, sites: [{ match: '*.example', autoApprove: true }] }))).toBe(true);
    // A rule that asked again removed, while auto-approve is on elsewhere.
    expect(autoApprovalWidens(dev({ enabled: true, autoApprove: true, sites: [{ match: 'bank.example', autoApprove: false }] }), dev({ enabled: true, autoApprove: true }))).toBe(true);
  });
  it('not turning it off, saving it unchanged, or other settings while it approves everywhere already', () => {
    const on = dev({ enabled: true, autoApprove: true });
    expect(autoApprovalWidens(on, off)).toBe(false);
    expect(autoApprovalWidens(on, dev({ enabled: true }))).toBe(false);
    expect(autoApprovalWidens(on, on)).toBe(false);
    expect(autoApprovalWidens(on, dev({ enabled: true, autoApprove: true, userVerification: 'off', sites: [{ match: 'localhost', userVerification: 'on' }] }))).toBe(false);
    expect(autoApprovalWidens(off, dev({ enabled: true, attestation: 'packed' }))).toBe(false);
  });
});
