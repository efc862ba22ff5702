// The background's schema for Settings → Security messages (docs/design.md rule 6): only the offered choices pass.
import { describe, expect, it } from 'vitest';
import { KDF_STRENGTHS, MESSAGES, parseMessage } from './messages.ts';
import { MIN_KDF } from '../crypto/kdf.ts';

const ok = (m: unknown) => parseMessage(m) !== undefined;

describe('settings messages', () => {
  it('settings:set takes only the offered auto-lock times and themes', () => {
    expect(ok({ type: 'settings:set', autoLockMinutes: 5 })).toBe(true);
    expect(ok({ type: 'settings:set', autoLockMinutes: 240, theme: 'dark' })).toBe(true);
    expect(ok({ type: 'settings:set', autoLockMinutes: 7 })).toBe(false);
    expect(ok({ type: 'settings:set', autoLockMinutes: '5' })).toBe(false);
    expect(ok({ type: 'settings:set', theme: 'sepia' })).toBe(false);
  });

  it('password:change needs the current password and names a strength from the list', () => {
    expect(ok({ type: 'password:change', password: 'current', newPassword: 'next one' })).toBe(true);
    expect(ok({ type: 'password:change', password: 'current', strength: 'very-strong' })).toBe(true);
    expect(ok({ type: 'password:change', password: '', newPassword: 'next one' })).toBe(false);
    expect(ok({ type: 'password:change', password: 'current', newPassword: '' })).toBe(false);
    expect(ok({ type: 'password:change', password: 'current', strength: 'weak' })).toBe(false);
    expect(ok({ type: 'password:change', password: 'current', kdf: { m: 1, t: 1 } })).toBe(true); // unknown members are dropped
    expect(parseMessage({ type: 'password:change', password: 'current', kdf: { m: 1, t: 1 } })).not.toHaveProperty('kdf');
  });

  it('every offered strength is at or above the floor (RFC 9106 second option)', () => {
    for (const s of Object.values(KDF_STRENGTHS)) {
      expect(s.m).toBeGreaterThanOrEqual(MIN_KDF.m);
      expect(s.t).toBeGreaterThanOrEqual(MIN_KDF.t);
    }
    expect(KDF_STRENGTHS.standard).toEqual(MIN_KDF);
  });

  it('what hands the vault away carries the master password: export, pairing approval, a new recovery code, a backup file', () => {
    for (const m of [{ type: 'export', format: 'cxf' }, { type: 'pair:approve' }, { type: 'recovery:rotate' }, { type: 'backup:download' }]) {
      expect(ok(m), m.type).toBe(false);
      expect(ok({ ...m, masterPassword: '' }), m.type).toBe(false);
      expect(ok({ ...m, masterPassword: 'the master password' }), m.type).toBe(true);
    }
    expect(ok({ type: 'dev:set', settings: { enabled: true } })).toBe(true);
    expect(ok({ type: 'dev:set', settings: { enabled: true, autoApprove: true }, masterPassword: 'the master password' })).toBe(true);
  });
});

describe('the message map', () => {
  it('refuses what is not one of its messages, by name or by shape, inherited names included', () => {
    expect(ok({ type: 'status' })).toBe(true);
    expect(ok({ type: 'status!' })).toBe(false);
    expect(ok({ type: 'toString' })).toBe(false);
    expect(ok({ type: '__proto__' })).toBe(false);
    expect(ok({ type: 'consent:get' })).toBe(false);
    expect(ok({ type: 'consent:get', id: 7 })).toBe(false);
    expect(ok(null)).toBe(false);
    expect(ok('status')).toBe(false);
  });

  it('lets the bridge send only the fallback questions', () => {
    const fromBridge = Object.entries(MESSAGES).filter(([, m]) => m.from === 'bridge').map(([type]) => type);
    expect(fromBridge.sort()).toEqual(['fallback-check', 'fallback-done']);
  });
});
