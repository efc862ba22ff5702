// How hard a master password is to guess, by zxcvbn-ts (dictionaries of common passwords, names, English
// words and keyboard patterns): a well-kept estimator instead of character-class rules, which rate
// "P@ssw0rd1" strong. The vault's Argon2id slows each guess, yet a guessable password stays guessable.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

export interface Strength {
  /** 0 (guessed at once) to 4 (very hard to guess). */
  score: 0 | 1 | 2 | 3 | 4;
  label: 'Very weak' | 'Weak' | 'Fair' | 'Strong' | 'Very strong';
  /** Refused as a master password: below MIN_SCORE. */
  tooWeak: boolean;
  /** Why, and what would help, in the estimator's words (may be empty). */
  warning: string;
  suggestions: string[];
}

/** A master password must score at least "Fair" (about 10^8 guesses, zxcvbn's score 2). */
export const MIN_SCORE = 2;
const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

let factory: ZxcvbnFactory | undefined;

/** `context`: words a guesser would try first for this person (the product's name, the site). */
export function passwordStrength(password: string, context: string[] = []): Strength {
  factory ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  });
  // zxcvbn's cost grows with length; past 256 characters the rating no longer changes.
  const r = factory.check(password.slice(0, 256), ['keyport', 'passkey', 'password', ...context]);
  const score = r.score;
  return { score, label: LABELS[score], tooWeak: score < MIN_SCORE, warning: r.feedback.warning ?? '', suggestions: r.feedback.suggestions };
}
