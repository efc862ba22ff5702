// The related origins check (WebAuthn L3 §5.11.1) as the background runs it for the page-script door: the RP ID's
// well-known document, fetched once (src/adapters/wellKnown.ts) and kept briefly, then the decision
// (webauthn/client/relatedOrigins.ts). A document is cached, not a decision, so every origin asking about one RP ID
// is judged against the same list; a failure is cached too, for less time, so a page cannot make the background
// fetch again and again. The cache holds a bounded number of RP IDs, the oldest dropped first.
import { type FetchedDocument, listsOrigin, mayAskRelated, parseWellKnown } from '../webauthn/client/relatedOrigins.ts';
import type { RelatedOriginCheck } from '../webauthn/client/validate.ts';
import { WebAuthnError } from '../webauthn/errors.ts';

export const DOCUMENT_TTL_MS = 5 * 60_000;
export const FAILURE_TTL_MS = 60_000;
export const MAX_CACHED = 64;

type Entry = { at: number; ttl: number; result: Promise<string[]> };

export function createRelatedOrigins(deps: { fetch: (rpId: string) => Promise<FetchedDocument>; now: () => number }): RelatedOriginCheck {
  const cache = new Map<string, Entry>();

  function documentOf(rpId: string): Promise<string[]> {
    const now = deps.now();
    const hit = cache.get(rpId);
    if (hit && now - hit.at < hit.ttl) return hit.result;
    cache.delete(rpId);
    // One fetch per RP ID at a time: requests arriving while it runs share it.
    const entry: Entry = { at: now, ttl: DOCUMENT_TTL_MS, result: Promise.resolve([]) };
    entry.result = deps.fetch(rpId).then(
      (doc) => parseWellKnown(rpId, doc),
      (e: unknown) => {
        throw new WebAuthnError('SecurityError', `The relying party ID "${rpId}" is not a registrable domain suffix of, nor equal to, the current domain, and ${`https://${rpId}/.well-known/webauthn`} could not be fetched (${e instanceof Error ? e.message : String(e)}).`);
      },
    );
    entry.result.catch(() => {
      entry.at = deps.now();
      entry.ttl = FAILURE_TTL_MS;
    });
    cache.set(rpId, entry);
    while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
    return entry.result;
  }

  return async (callerOrigin, rpId) => {
    if (!mayAskRelated(rpId)) return false;
    return listsOrigin(await documentOf(rpId), callerOrigin);
  };
}
