// Developer mode's settings (issue 6): what the options page and the automation API edit, validated like any other
// input (docs/design.md rule 6), and the authenticator profile (src/webauthn/authenticator/profile.ts) they give each site.
// Per-site rules match the RP ID or the origin's host, exactly or as `*.example.com` (the domain and every name under it,
// as a host in an extension match pattern), whole labels only: `*.example.com` does not match `evilexample.com`.
import * as v from 'valibot';
import type { AuthenticatorProfile } from '../webauthn/authenticator/profile.ts';
import { ALG } from '../webauthn/cose.ts';
import type { ErrorJSON } from '../webauthn/errors.ts';

const MAX_SITES = 256;

const Attestation = v.picklist(['none', 'packed'], 'must be "none" or "packed"');
const UserVerification = v.picklist(['person', 'on', 'off', 'up-only'], 'must be "person", "on", "off" or "up-only"');
const Algorithms = v.pipe(
  v.array(v.picklist([ALG.ES256, ALG.EdDSA, ALG.RS256], 'must be -7 (ES256), -8 (EdDSA) or -257 (RS256)'), 'must be a list of COSE algorithm numbers'),
  v.minLength(1, 'must name at least one algorithm (leave it out for the relying party’s order)'),
  v.check((list) => new Set(list).size === list.length, 'must not name an algorithm twice'),
);
const Counter = v.variant(
  'mode',
  [
    v.strictObject({ mode: v.literal('zero') }),
    v.strictObject({ mode: v.literal('increment') }),
    v.strictObject({
      mode: v.literal('fixed'),
      value: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be at least 0'), v.maxValue(0xffffffff, 'must fit in 32 bits')),
    }),
  ],
  'must be { mode: "zero" }, { mode: "increment" } or { mode: "fixed", value }',
);
const Flag = v.boolean('must be true or false');

/** A host name, or `*.` and a domain: lower case, LDH labels (an internationalised name in its xn-- form). */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const Match = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.toLowerCase(),
  v.check((s) => s.length <= 253 && HOST_PATTERN.test(s), 'must be a host name such as "example.com" or "*.example.com"'),
);

/**
 * One site's rule: what it changes from the defaults. An absent field keeps the default; for the three optional
 * profile fields, null asks for Keyport's own behaviour here even when the defaults set one.
 */
export const SiteRuleSchema = v.strictObject({
  match: Match,
  autoApprove: v.optional(Flag),
  attestation: v.optional(Attestation),
  algorithms: v.optional(v.nullable(Algorithms)),
  userVerification: v.optional(UserVerification),
  backupEligible: v.optional(v.nullable(Flag)),
  backupState: v.optional(v.nullable(Flag)),
  counter: v.optional(Counter),
});
export type SiteRule = v.InferOutput<typeof SiteRuleSchema>;

/** The developer settings. Every field may be left out of an input; the defaults are Keyport's own behaviour. */
export const DevSettingsSchema = v.strictObject({
  /** Off: Keyport answers as itself everywhere (profileFor gives undefined). */
  enabled: v.optional(Flag, false),
  /** Approve every ceremony without asking the person. */
  autoApprove: v.optional(Flag, false),
  attestation: v.optional(Attestation, 'none'),
  /** The authenticator's algorithm preference; absent: the relying party's order. */
  algorithms: v.optional(Algorithms),
  userVerification: v.optional(UserVerification, 'person'),
  backupEligible: v.optional(Flag),
  backupState: v.optional(Flag),
  counter: v.optional(Counter, () => ({ mode: 'zero' as const })),
  /** Tried in order; the first that matches the RP ID or the origin's host applies. */
  sites: v.optional(v.pipe(v.array(SiteRuleSchema, 'must be a list of site rules'), v.maxLength(MAX_SITES, `must hold at most ${MAX_SITES} rules`)), () => []),
});
export type DevSettings = v.InferOutput<typeof DevSettingsSchema>;
export type DevSettingsInput = v.InferInput<typeof DevSettingsSchema>;

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = (issue.path ?? []).map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`)).join('').replace(/^\./, '');
  // strictObject reports an unknown key with the key itself as the path.
  if (issue.type === 'strict_object' && issue.expected === 'never') return `${path}: is not a developer setting`;
  if (issue.type === 'strict_object' || issue.type === 'object') {
    if (issue.received === 'undefined' && path) return `${path}: is missing`;
    if (!path) return `must be an object, got ${issue.received}`;
  }
  const uninformative = issue.message.startsWith('Invalid ') || issue.received === 'Array' || issue.received === 'Object';
  const message = uninformative ? issue.message : `${issue.message}, got ${issue.received}`;
  return path ? `${path}: ${message}` : message;
}

/** Validates developer settings from the options page, the automation API or storage. Throws a TypeError naming every problem. */
export function parseDevSettings(input: unknown): DevSettings {
  const r = v.safeParse(DevSettingsSchema, input);
  if (r.success) return r.output;
  const problems = r.issues.map(describeIssue);
  throw new TypeError(`Developer settings: ${problems.join('; ')}.`);
}

export const DEFAULT_DEV_SETTINGS: DevSettings = Object.freeze(parseDevSettings({}));

/** Developer mode approves without asking on at least one site. */
const approvesSomewhere = (s: DevSettings) => s.enabled && (s.autoApprove || s.sites.some((r) => r.autoApprove === true));
/** ... and on every site: no rule asks again. */
const approvesEverywhere = (s: DevSettings) => s.enabled && s.autoApprove && !s.sites.some((r) => r.autoApprove === false);
/** What decides where Keyport approves without asking: the switches, and each rule's match and autoApprove, in order. */
const approvalKey = (s: DevSettings) => JSON.stringify([s.enabled, s.autoApprove, s.sites.map((r) => [r.match, r.autoApprove ?? null])]);

/**
 * Whether saving `after` over `before` may let Keyport approve a ceremony without asking where it asked before:
 * auto-approve turned on, or developer mode turned on with it, or a rule that adds or moves it. Such a change
 * asks for the master password (issue 13 item 5). Turning it off, or anything else, does not.
 */
export function autoApprovalWidens(before: DevSettings, after: DevSettings): boolean {
  return approvesSomewhere(after) && !approvesEverywhere(before) && approvalKey(after) !== approvalKey(before);
}

/** Whether a rule's pattern covers a host name: equal, or for `*.d` equal to d or ending in `.d` (whole labels). */
export function hostMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return h === pattern;
  const domain = pattern.slice(2);
  return h === domain || h.endsWith(`.${domain}`);
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

/** The first site rule that matches the RP ID or the origin's host, with its index. */
export function siteRuleFor(settings: DevSettings, scope: { origin: string; rpId: string }): { index: number; rule: SiteRule } | undefined {
  const hosts = [scope.rpId, originHost(scope.origin)].filter((h): h is string => !!h);
  const index = settings.sites.findIndex((rule) => hosts.some((h) => hostMatches(rule.match, h)));
  return index < 0 ? undefined : { index, rule: settings.sites[index]! };
}

export interface DevMode {
  autoApprove: boolean;
  profile: AuthenticatorProfile;
  /** The index of the site rule that applied, if one did. */
  site?: number;
}

/** Developer mode as it applies to one ceremony, or undefined when developer mode is off. */
export function devModeFor(settings: DevSettings, scope: { origin: string; rpId: string }): DevMode | undefined {
  if (!settings.enabled) return undefined;
  const found = siteRuleFor(settings, scope);
  const rule: Partial<SiteRule> = found?.rule ?? {};
  const pick = <T>(override: T | null | undefined, fallback: T | undefined): T | undefined => (override === null ? undefined : (override ?? fallback));
  const profile: AuthenticatorProfile = {
    attestation: rule.attestation ?? settings.attestation,
    userVerification: rule.userVerification ?? settings.userVerification,
    counter: rule.counter ?? settings.counter,
  };
  const algorithms = pick(rule.algorithms, settings.algorithms);
  const backupEligible = pick(rule.backupEligible, settings.backupEligible);
  const backupState = pick(rule.backupState, settings.backupState);
  if (algorithms) profile.algorithms = algorithms;
  if (backupEligible !== undefined) profile.backupEligible = backupEligible;
  if (backupState !== undefined) profile.backupState = backupState;
  return { autoApprove: rule.autoApprove ?? settings.autoApprove, profile, ...(found ? { site: found.index } : {}) };
}

/** The authenticator profile for one ceremony: the first matching site rule over the defaults; undefined when off. */
export const profileFor = (settings: DevSettings, scope: { origin: string; rpId: string }): AuthenticatorProfile | undefined => devModeFor(settings, scope)?.profile;

/**
 * An error developer mode makes the next ceremony end with. "timeout" is the lifetime timer running out (§5.1.3 /
 * §5.1.4.1, "the timer expires"): the page waits the whole timeout, then gets NotAllowedError, as from a real one.
 */
export const SimulatedErrorSchema = v.picklist(['NotAllowedError', 'InvalidStateError', 'timeout'], 'must be "NotAllowedError", "InvalidStateError" or "timeout"');
export type SimulatedError = v.InferOutput<typeof SimulatedErrorSchema>;

/** What the page receives for a simulated error, and whether the answer waits for the ceremony's timeout first. */
export function simulatedAnswer(e: SimulatedError): { error: ErrorJSON; afterTimeout: boolean } {
  switch (e) {
    case 'NotAllowedError':
      return { error: { name: 'NotAllowedError', message: 'The operation either timed out or was not allowed. (Developer mode: simulated.)' }, afterTimeout: false };
    case 'InvalidStateError':
      return { error: { name: 'InvalidStateError', message: 'The authenticator already holds a credential excluded by the relying party. (Developer mode: simulated.)' }, afterTimeout: false };
    case 'timeout':
      return { error: { name: 'NotAllowedError', message: 'The operation either timed out or was not allowed. (Developer mode: simulated timeout.)' }, afterTimeout: true };
  }
}
