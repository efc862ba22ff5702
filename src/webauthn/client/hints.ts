// WebAuthn L3 §5.8.7 PublicKeyCredentialHint: which kind of authenticator the site would like the person to use,
// most preferred first. The client uses the first hint it knows and ignores unknown values (§5.8.7, §5.1.3 step
// 20: hints guide the UI, they refuse nothing).

export type Hint = 'security-key' | 'client-device' | 'hybrid';
const KNOWN: readonly string[] = ['security-key', 'client-device', 'hybrid'];

/**
 * What the consent window should lead with: the browser's own authenticators when the site's first known hint is a
 * security key or a phone (hybrid); Keyport (undefined) for 'client-device', which Keyport is, or without hints.
 */
export function preferredElsewhere(hints: readonly string[] | undefined): 'security-key' | 'hybrid' | undefined {
  const first = hints?.find((h) => KNOWN.includes(h)) as Hint | undefined;
  return first === 'security-key' || first === 'hybrid' ? first : undefined;
}
