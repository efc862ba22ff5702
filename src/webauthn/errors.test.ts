import { describe, expect, it } from 'vitest';
import { ERROR_NAMES, WebAuthnError, notAllowed, toErrorJSON } from './errors.ts';

describe('WebAuthnError: DOMException names carried as {name, message}', () => {
  it('keeps its name and message, and serializes to exactly those', () => {
    const e = new WebAuthnError('SecurityError', 'bad rp id');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SecurityError');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'SecurityError', message: 'bad rp id' });
  });

  it('toErrorJSON: WebAuthnError as is, a native TypeError as TypeError, anything else as UnknownError', () => {
    expect(toErrorJSON(new WebAuthnError('InvalidStateError', 'x'))).toEqual({ name: 'InvalidStateError', message: 'x' });
    expect(toErrorJSON(new TypeError('y'))).toEqual({ name: 'TypeError', message: 'y' });
    expect(toErrorJSON(new RangeError('z'))).toEqual({ name: 'UnknownError', message: 'z' });
    expect(toErrorJSON('boom')).toEqual({ name: 'UnknownError', message: 'boom' });
  });

  it('notAllowed() is a NotAllowedError with the browsers’ generic message unless told otherwise', () => {
    expect(notAllowed()).toMatchObject({ name: 'NotAllowedError', message: 'The operation either timed out or was not allowed.' });
    expect(notAllowed('why').message).toBe('why');
  });

  it('names only the DOMException names WebAuthn uses', () => {
    for (const n of ERROR_NAMES) expect(new WebAuthnError(n, '').name).toBe(n);
    expect(ERROR_NAMES).toContain('NotAllowedError');
    expect(ERROR_NAMES).toContain('SecurityError');
  });
});
