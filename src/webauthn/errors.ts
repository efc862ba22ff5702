// The DOMException names WebAuthn L3 uses (§5.1.3, §5.1.4 and §6.3), carried across message
// boundaries as plain {name, message} and turned back into a DOMException at the page.

export const ERROR_NAMES = [
  'NotAllowedError',
  'InvalidStateError',
  'NotSupportedError',
  'SecurityError',
  'AbortError',
  'TypeError',
  'ConstraintError',
  'UnknownError',
  'SyntaxError',
] as const;
export type ErrorName = (typeof ERROR_NAMES)[number];

export interface ErrorJSON {
  name: ErrorName;
  message: string;
}

export class WebAuthnError extends Error {
  override readonly name: ErrorName;
  constructor(name: ErrorName, message: string) {
    super(message);
    this.name = name;
  }
  toJSON(): ErrorJSON {
    return { name: this.name, message: this.message };
  }
}

export function toErrorJSON(e: unknown): ErrorJSON {
  if (e instanceof WebAuthnError) return e.toJSON();
  if (e instanceof TypeError) return { name: 'TypeError', message: e.message };
  return { name: 'UnknownError', message: e instanceof Error ? e.message : String(e) };
}

/** Browsers answer "The operation either timed out or was not allowed" for the many NotAllowedError cases. */
export const notAllowed = (why = 'The operation either timed out or was not allowed.') => new WebAuthnError('NotAllowedError', why);
