// Input protection for what decides a ceremony (issue 13 item 6): the consent window's approve, its Enter, and a
// row of the autofill list take effect only once the window or list has been on screen (and, for a window, had
// the focus) for INPUT_DELAY_MS without a break, counted again when its content changes (a newer request took it
// over, the accounts appeared after an unlock). A page that raises a window or a list just under a click or a
// keystroke meant for something else gets nothing: the decision was not yet possible when the input came.
// Browsers guard their own permission prompts the same way (Firefox's security.dialog_enable_delay is 1000 ms).

export const INPUT_DELAY_MS = 500;

/** How long a condition has held without a break: the pure part, on an injected clock. */
export function createDwell({ now, delayMs = INPUT_DELAY_MS }: { now: () => number; delayMs?: number }) {
  let since: number | undefined;
  return {
    /** The condition (visible, focused) holds now, or not: a break starts the count over. */
    observe(holds: boolean): void {
      if (!holds) since = undefined;
      else since ??= now();
    },
    /** The content changed: counting starts over from now, if the condition holds. */
    restart(): void {
      if (since !== undefined) since = now();
    },
    armed(): boolean {
      return since !== undefined && now() - since >= delayMs;
    },
    /** Milliseconds until armed; Infinity while the condition does not hold. */
    remaining(): number {
      return since === undefined ? Infinity : Math.max(0, since + delayMs - now());
    },
  };
}

/**
 * The page's side: follows its visibility (and focus, unless `focus: false`) and calls `onchange` with whether
 * decisions may take effect, each time that changes. Returns `restart` (for a change of content) and `stop`.
 * The autofill list passes `focus: false`: it sits under the page's field while the person types there, and
 * only the choosing click itself gives it the focus. It passes `intersect` too (its own root element): a frame
 * the page hides (display: none) or moves off screen is not on screen, and shown again it counts from zero.
 */
export function guardInput(
  onchange: (armed: boolean) => void,
  { focus = true, intersect, delayMs = INPUT_DELAY_MS }: { focus?: boolean; intersect?: Element; delayMs?: number } = {},
) {
  const dwell = createDwell({ now: () => performance.now(), delayMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: boolean | undefined;
  // The implicit root of a frame's IntersectionObserver is the top-level viewport, clipped by the frames around it.
  let intersecting = !intersect;
  const observer = intersect && typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
        intersecting = entries.at(-1)?.isIntersecting ?? intersecting;
        update();
      })
    : undefined;
  const update = () => {
    dwell.observe(document.visibilityState === 'visible' && intersecting && (!focus || document.hasFocus()));
    const armed = dwell.armed();
    if (armed !== last) onchange((last = armed));
    clearTimeout(timer);
    const wait = dwell.remaining();
    if (!armed && wait !== Infinity) timer = setTimeout(update, wait + 1);
  };
  const events: [EventTarget, string][] = [[document, 'visibilitychange'], [window, 'focus'], [window, 'blur'], [window, 'pageshow'], [window, 'pagehide']];
  for (const [target, name] of events) target.addEventListener(name, update);
  if (intersect) observer?.observe(intersect);
  if (intersect && !observer) intersecting = true; // no IntersectionObserver: visibility alone
  update();
  return {
    restart(): void {
      dwell.restart();
      update();
      // Count again from the frame that paints the new content: the page's own update of the DOM can come well
      // after this call on a busy machine, and the person must see the new content for the whole delay.
      requestAnimationFrame(() => {
        dwell.restart();
        update();
      });
    },
    armed: () => dwell.armed(),
    stop(): void {
      clearTimeout(timer);
      observer?.disconnect();
      for (const [target, name] of events) target.removeEventListener(name, update);
    },
  };
}
