import { createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecoveryCodeError, deriveFromRecovery, formatRecoveryCode, generateRecoveryCode, parseRecoveryCode } from './recoveryCode.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/;

/** Independent reference: entropy || SHA-256(entropy)[0..2] as one 160-bit number, 32 base32 digits. */
function referenceCode(entropy: Uint8Array): string {
  const all = Buffer.concat([entropy, createHash('sha256').update(entropy).digest().subarray(0, 2)]);
  let n = BigInt('0x' + all.toString('hex'));
  let digits = '';
  for (let i = 0; i < 32; i++) {
    digits = CROCKFORD[Number(n & 31n)] + digits;
    n >>= 5n;
  }
  return digits.match(/.{4}/g)!.join('-');
}

const fixed = Uint8Array.from({ length: 18 }, (_, i) => i * 14 + 1);
const zeros = new Uint8Array(18);

describe('recovery code format (144 random bits + 16-bit checksum, Crockford base32)', () => {
  it('generates 8 groups of 4 Crockford characters carrying 18 bytes of entropy', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { code, entropy } = generateRecoveryCode();
      expect(code).toMatch(FORMAT);
      expect(entropy).toHaveLength(18);
      expect(code).toBe(referenceCode(entropy));
      seen.add(code);
    }
    expect(seen.size).toBe(20);
  });

  it('formats known entropy as the reference computation does', () => {
    expect(formatRecoveryCode(fixed)).toBe(referenceCode(fixed));
    expect(formatRecoveryCode(zeros)).toBe(referenceCode(zeros));
    expect(formatRecoveryCode(zeros).startsWith('0000-0000-0000-0000-0000-0000-000')).toBe(true);
  });

  it('parses its own output back to the entropy', () => {
    for (let i = 0; i < 20; i++) {
      const { code, entropy } = generateRecoveryCode();
      expect(parseRecoveryCode(code)).toEqual(entropy);
    }
    expect(parseRecoveryCode(formatRecoveryCode(fixed))).toEqual(fixed);
  });
});

describe('parsing what a person typed', () => {
  const code = formatRecoveryCode(fixed);

  it('accepts lower case, spaces instead of dashes, no separators, and surrounding whitespace', () => {
    expect(parseRecoveryCode(code.toLowerCase())).toEqual(fixed);
    expect(parseRecoveryCode(code.replace(/-/g, ' '))).toEqual(fixed);
    expect(parseRecoveryCode(code.replace(/-/g, ''))).toEqual(fixed);
    expect(parseRecoveryCode(`  ${code.replace(/-/g, '  ')}\n`)).toEqual(fixed);
  });

  it('Spec: Crockford substitutions read I and L as 1, O as 0 (either case)', () => {
    const withOnes = formatRecoveryCode(Uint8Array.from({ length: 18 }, () => 0x08)); // bit pattern 00001000… gives 0s and 1s
    expect(withOnes).toMatch(/1/);
    expect(withOnes).toMatch(/0/);
    const entropy = parseRecoveryCode(withOnes);
    for (const [one, zero] of [['I', 'O'], ['i', 'o'], ['L', 'O'], ['l', 'o']] as const) {
      expect(parseRecoveryCode(withOnes.replace(/1/g, one).replace(/0/g, zero))).toEqual(entropy);
    }
  });

  it('rejects U and other characters outside the alphabet', () => {
    expect(() => parseRecoveryCode('U' + code.slice(1))).toThrow(RecoveryCodeError);
    expect(() => parseRecoveryCode('*' + code.slice(1))).toThrow(RecoveryCodeError);
  });

  it.each([
    ['31 characters', code.replace(/-/g, '').slice(0, 31)],
    ['33 characters', code.replace(/-/g, '') + '0'],
    ['empty', ''],
  ])('rejects a wrong length: %s', (_why, input) => {
    expect(() => parseRecoveryCode(input)).toThrow(RecoveryCodeError);
  });

  it('catches a single-character typo in every one of the 32 positions, whatever the wrong character', () => {
    const plain = code.replace(/-/g, '');
    let tried = 0;
    for (let pos = 0; pos < 32; pos++) {
      for (const ch of CROCKFORD) {
        if (ch === plain[pos]) continue;
        const typo = plain.slice(0, pos) + ch + plain.slice(pos + 1);
        expect(() => parseRecoveryCode(typo), `position ${pos} → ${ch}`).toThrow(RecoveryCodeError);
        tried++;
      }
    }
    expect(tried).toBe(32 * 31);
  });
});

describe('deriveFromRecovery (RFC 5869 HKDF-SHA-256, one label per use)', () => {
  const reference = (entropy: Uint8Array, label: string) =>
    new Uint8Array(hkdfSync('sha256', entropy, new Uint8Array(0), `keyport/recovery/${label}/v1`, 32));

  it('matches an independent HKDF with the labelled info', () => {
    for (const label of ['wrap', 'lookup', 'token'] as const) expect(deriveFromRecovery(fixed, label)).toEqual(reference(fixed, label));
  });

  it('is deterministic and gives distinct 32-byte outputs per label and per entropy', () => {
    const outs = (['wrap', 'lookup', 'token'] as const).map((l) => deriveFromRecovery(fixed, l));
    for (const o of outs) expect(o).toHaveLength(32);
    expect(new Set(outs.map((o) => Buffer.from(o).toString('hex'))).size).toBe(3);
    expect(deriveFromRecovery(fixed.slice(), 'wrap')).toEqual(outs[0]);
    expect(deriveFromRecovery(zeros, 'wrap')).not.toEqual(outs[0]);
  });
});
