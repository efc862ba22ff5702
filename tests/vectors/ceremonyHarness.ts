// Test fixture for the ceremonies (src/webauthn/client/{create,get}.ts over src/webauthn/authenticator/): an in-memory
// CredentialStore that signs with src/webauthn/authenticator/keys.ts, and a scripted Consent that records what it was asked.
import { type GeneratedKey, generateCredentialKey, importSigner } from '../../src/webauthn/authenticator/keys.ts';
import type { AuthenticatorProfile } from '../../src/webauthn/authenticator/profile.ts';
import type {
  CeremonyDeps,
  Consent,
  CreateRequestInfo,
  CredentialBlobs,
  CredentialMeta,
  CredentialStore,
  Decision,
  GetRequestInfo,
  NewCredential,
} from '../../src/webauthn/authenticator/model.ts';
import type { Alg } from '../../src/webauthn/cose.ts';
import { WebAuthnError } from '../../src/webauthn/errors.ts';
import type { Caller } from '../../src/webauthn/types.ts';

export const RP_ID = 'example.com';
export const ORIGIN = 'https://login.example.com';
export const NOW = 1_700_000_000_000;

export const sameOrigin: Caller = { origin: ORIGIN, sameOriginWithAncestors: true, door: 'shim' };

type Stored = NewCredential & { lastUsedAt?: number };

export class MemoryStore implements CredentialStore {
  readonly records = new Map<string, Stored>();
  readonly generated: GeneratedKey[] = [];

  list(rpId: string): CredentialMeta[] {
    return [...this.records.values()]
      .filter((r) => r.rpId === rpId)
      .map(({ pkcs8: _k, publicKeyCose: _p, prfSecret: _s, largeBlob: _l, credBlob: _b, ...meta }) => meta);
  }

  async add(c: NewCredential): Promise<void> {
    // Copies, as a real store encrypts them: the ceremony wipes the key it handed over.
    this.records.set(c.credentialId, { ...c, pkcs8: c.pkcs8.slice(), prfSecret: c.prfSecret.slice() });
  }

  async sign(credentialId: string, data: Uint8Array): Promise<Uint8Array> {
    const r = this.get(credentialId);
    return (await importSigner(r.alg, r.pkcs8))(data);
  }

  prfSecret(credentialId: string): Uint8Array {
    return this.get(credentialId).prfSecret;
  }

  blobs(credentialId: string): CredentialBlobs {
    const { largeBlob, credBlob } = this.get(credentialId);
    return { ...(largeBlob ? { largeBlob } : {}), ...(credBlob ? { credBlob } : {}) };
  }

  async writeLargeBlob(credentialId: string, blob: Uint8Array): Promise<boolean> {
    const r = this.get(credentialId);
    if (!r.largeBlob) return false;
    r.largeBlob = blob.slice();
    return true;
  }

  touch(credentialId: string, at: number): void {
    this.get(credentialId).lastUsedAt = at;
  }

  setSignCount(credentialId: string, count: number): void {
    this.get(credentialId).signCount = count;
  }

  async generateKey(alg: Alg): Promise<GeneratedKey> {
    const key = await generateCredentialKey(alg);
    this.generated.push(key);
    return key;
  }

  get(credentialId: string): Stored {
    const r = this.records.get(credentialId);
    if (!r) throw new Error(`no credential ${credentialId}`);
    return r;
  }
}

type Answer<T> = T | WebAuthnError;

/** Scripted person: what to answer to the create prompt and to the account picker. */
export class ScriptedConsent implements Consent {
  readonly createAsked: CreateRequestInfo[] = [];
  readonly pickAsked: GetRequestInfo[] = [];
  readonly excludedAsked: CreateRequestInfo[] = [];
  onExcluded: (info: CreateRequestInfo) => WebAuthnError | undefined = () => undefined;
  readonly signals: AbortSignal[] = [];
  onCreate: (info: CreateRequestInfo) => Answer<Decision> = () => ({ action: 'approve', uv: true });
  onPick: (info: GetRequestInfo) => Answer<Decision<{ credentialId: string }>> = (info) => ({
    action: 'approve',
    uv: true,
    credentialId: info.accounts[0]!.credentialId,
  });

  get calls(): number {
    return this.createAsked.length + this.pickAsked.length;
  }

  async confirmCreate(info: CreateRequestInfo, signal: AbortSignal): Promise<Decision> {
    this.createAsked.push(info);
    this.signals.push(signal);
    const a = this.onCreate(info);
    if (a instanceof WebAuthnError) throw a;
    return a;
  }

  async confirmExcluded(info: CreateRequestInfo, signal: AbortSignal): Promise<void> {
    this.excludedAsked.push(info);
    this.signals.push(signal);
    const a = this.onExcluded(info);
    if (a) throw a;
  }

  async pickCredential(info: GetRequestInfo, signal: AbortSignal): Promise<Decision<{ credentialId: string }>> {
    this.pickAsked.push(info);
    this.signals.push(signal);
    const a = this.onPick(info);
    if (a instanceof WebAuthnError) throw a;
    return a;
  }
}

/** A store, a person and the deps that join them; `profile` is developer mode's authenticator (absent: Keyport's own). */
export function harness(profile?: AuthenticatorProfile): { store: MemoryStore; consent: ScriptedConsent; deps: CeremonyDeps } {
  const store = new MemoryStore();
  const consent = new ScriptedConsent();
  return { store, consent, deps: { store, consent, now: () => NOW, ...(profile ? { profile } : {}) } };
}

/** Awaits a rejection and returns it, failing if the promise resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the ceremony to fail, but it succeeded');
}
