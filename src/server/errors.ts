// The sync server's errors: an HTTP status, the protocol's ErrorCode and a message for the person reading
// the client's log (protocol.ts ErrorBody). Messages never carry a token, a blob or a whole vault id.
import type * as v from 'valibot';
import type { ErrorBody, ErrorCode } from '../sync/protocol.ts';

type Code = v.InferOutput<typeof ErrorCode>;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    /** Counts against the failed-authentication budget of the caller's address and of the vault id. */
    readonly authFailure = false,
    /** Seconds, for 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string) => new HttpError(400, 'BadRequest', message);
export const unauthorized = (message = 'the token does not open this vault') => new HttpError(401, 'Unauthorized', message, true);
export const notFound = (message: string, authFailure = false) => new HttpError(404, 'NotFound', message, authFailure);
export const conflict = (message: string, authFailure = false) => new HttpError(409, 'Conflict', message, authFailure);
export const gone = (message: string) => new HttpError(410, 'Gone', message);
export const tooLarge = (message: string) => new HttpError(413, 'TooLarge', message);
export const rateLimited = (message: string, retryAfter: number) => new HttpError(429, 'RateLimited', message, false, retryAfter);
/** 507 Insufficient Storage (RFC 4918 §11.5): the vault's quota, not the request's size (that is 413). */
/**
 * 403: the server's registration policy (--registration) refuses to create this vault: it wants an invite
 * (InviteRequired), the invite given is unknown, used or expired (InviteInvalid, counted as a failed
 * authentication), or the server creates no vaults (RegistrationClosed). Existing vaults are not affected.
 */
export const inviteRequired = (message: string) => new HttpError(403, 'InviteRequired', message);
export const inviteInvalid = (message: string) => new HttpError(403, 'InviteInvalid', message, true);
export const registrationClosed = (message: string) => new HttpError(403, 'RegistrationClosed', message);
export const vaultFull = (message: string) => new HttpError(507, 'VaultFull', message);
