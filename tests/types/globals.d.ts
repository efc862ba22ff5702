// What the suites' functions meet where they run: in a page, a frame or the extension's background, sent
// there as source text (page.evaluate, evalBackground). Declared so that tsc checks those functions too.
import type { createAutomationApi } from '../../src/app/automation.ts';

/** The demo relying party's helper in its pages (tests/support/rp.mjs, PAGE_SCRIPT). */
interface PageRelyingParty {
  base: string;
  register(userName: string, opts?: Record<string, unknown>): Promise<any>;
  login(userName?: string, opts?: Record<string, unknown>): Promise<any>;
  autofill(opts?: Record<string, unknown>): true;
  autofillState: any;
  abortAutofill?: () => void;
  /** A get() with uiMode 'immediate': 'pending', then the /login/verify answer or {name, message}. */
  immediate(opts?: Record<string, unknown>): true;
  immediateState: any;
  immediateMs?: number;
}

declare global {
  /** The automation API (README: "Automation API"), a global of the background only. */
  var passkeyVault: ReturnType<typeof createAutomationApi>;
  /** In the demo relying party's pages. */
  var rp: PageRelyingParty;
  /** axe-core, once a test injected it into the page. */
  var axe: any;
  /** The extension API in the background and extension pages (Chromium's chrome, Firefox's browser). */
  var chrome: any;
  var browser: any;
  interface Window {
    rp: PageRelyingParty;
    /** What a test keeps in the page between two evaluate calls. */
    [key: `__${string}`]: any;
    abortProbe: any;
    firstScript: any;
    gaps: any;
    hostBox: any;
    observe: any;
    rt: any;
    sawProgress: any;
    seen: any;
    ticker: any;
  }
}
