// The client steps that create and get share (WebAuthn L3 §5.1.3 and §5.1.4.1). On the proxy door the
// browser has already run them (DESIGN.md "Proxy"); Keyport runs them on the shim door.
import { notAllowed } from './errors.ts';
import { type ParsedOrigin, parseCallerOrigin, resolveRpId } from './rpId.ts';
import type { Caller } from './types.ts';

/** §5.1.3 step 2 / §5.1.4.1 step 2: a cross-origin frame needs the feature's permissions policy. */
export function checkFramePolicy(caller: Caller, framePermitted: boolean, feature: 'publickey-credentials-create' | 'publickey-credentials-get'): void {
  if (caller.door === 'shim' && !caller.sameOriginWithAncestors && !framePermitted) {
    throw notAllowed(`The "${feature}" feature is not enabled in this document.`);
  }
}

/** §5.1.3 steps 7–8 / §5.1.4.1 steps 7–8: the caller's origin, and the RP ID it asked for or its effective domain. */
export function callerScope(caller: Caller, requestedRpId: string | undefined): { origin: ParsedOrigin; rpId: string } {
  const origin = parseCallerOrigin(caller.origin);
  const rpId = caller.door === 'shim' ? resolveRpId(origin, requestedRpId) : (requestedRpId ?? origin.host);
  return { origin, rpId };
}
