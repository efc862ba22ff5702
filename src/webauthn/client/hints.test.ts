import { describe, expect, it } from 'vitest';
import { preferredElsewhere } from './hints.ts';

describe('§5.8.7 hints: what the consent window leads with', () => {
  it('the first known hint decides; unknown values are skipped', () => {
    expect(preferredElsewhere(['security-key'])).toBe('security-key');
    expect(preferredElsewhere(['bogus', 'hybrid', 'client-device'])).toBe('hybrid');
    expect(preferredElsewhere(['client-device', 'security-key'])).toBeUndefined();
  });
  it('no hints, or none known: Keyport, as without them', () => {
    expect(preferredElsewhere(undefined)).toBeUndefined();
    expect(preferredElsewhere([])).toBeUndefined();
    expect(preferredElsewhere(['SECURITY-KEY', 'phone'])).toBeUndefined();
  });
});
