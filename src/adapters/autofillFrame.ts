// The bridge's half of passkey autofill (src/app/autofill.ts): while a conditional get() waits, the
// extension's list page is framed under the focused `autocomplete="… webauthn"` field, as browsers attach
// their own suggestions. Isolation from the page:
// - the frame is another origin (the extension's), so the page cannot read the names in it, and events
//   the page dispatches never reach into it: only the person's own clicks and keys choose;
// - it sits in a closed shadow root made from this isolated world, so the page's scripts cannot reach the
//   <iframe> element (its src names the session), and the host's inline !important styles win over the
//   page's style sheets;
// - only the person opens it (docs/design.md rule 7): a trusted pointer press on the field or a trusted key in it.
//   Focus alone does not, since a page's own focus() makes trusted focus events: a page that focuses its
//   field and starts a conditional get() sees nothing added, whether Keyport is locked, holds no passkey
//   for the site, or holds many;
// - once open it has one size whatever it lists (the rows scroll inside), so its size tells the page
//   nothing about how many accounts the person has there.
// The page can still remove or cover the host element: that denies autofill, it does not choose for anyone.

const ROW_PX = 52;
const HEAD_PX = 30;
/** Rows in view; more scroll inside the frame. The same height for a locked list, one passkey or fifty. */
const VISIBLE_ROWS = 3;
const HEIGHT_PX = HEAD_PX + VISIBLE_ROWS * ROW_PX + 2;
const WIDTH_PX = 320;

function isWebauthnField(t: EventTarget | null): t is HTMLInputElement | HTMLTextAreaElement {
  const el = t as Element | null;
  if (!el || (el.tagName !== 'INPUT' && el.tagName !== 'TEXTAREA')) return false;
  return (el.getAttribute('autocomplete') ?? '').toLowerCase().split(/\s+/).includes('webauthn');
}

export interface AutofillFrame {
  /** Has `rows` entries to offer (0: none): shown once the person presses on or types in a webauthn field. */
  update(rows: number): void;
  remove(): void;
}

export function autofillFrame(src: string): AutofillFrame {
  const host = document.createElement('div');
  for (const [name, value] of Object.entries({
    all: 'initial',
    position: 'fixed',
    'z-index': '2147483647',
    display: 'block',
    width: `${WIDTH_PX}px`,
    margin: '0',
    padding: '0',
    border: '0',
    'pointer-events': 'auto',
  })) host.style.setProperty(name, value, 'important');
  const shadow = host.attachShadow({ mode: 'closed' });
  const frame = document.createElement('iframe');
  frame.src = src;
  frame.title = 'Keyport passkeys';
  frame.setAttribute('style', 'display:block;width:100%;border:0;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.25);color-scheme:normal;background:transparent');
  shadow.append(frame);

  let rows = 0;
  let field: HTMLInputElement | HTMLTextAreaElement | undefined;
  let dismissed = false;

  const place = () => {
    if (!field || !host.isConnected) return;
    const r = field.getBoundingClientRect();
    const height = HEIGHT_PX;
    const below = r.bottom + 4 + height <= window.innerHeight || r.top < height;
    host.style.setProperty('top', `${below ? r.bottom + 4 : r.top - 4 - height}px`, 'important');
    host.style.setProperty('left', `${Math.max(4, Math.min(r.left, window.innerWidth - WIDTH_PX - 4))}px`, 'important');
    frame.style.height = `${height}px`;
  };
  const show = () => {
    if (!field || rows === 0 || dismissed) return;
    if (!host.isConnected) document.documentElement.append(host);
    place();
  };
  const hide = () => host.remove();

  // Focus never opens the list (see above); focus moving to anything but a webauthn field closes it.
  const onFocusIn = (e: FocusEvent) => {
    if (e.target === host) return;
    if (!isWebauthnField(e.target)) return hide();
    if (e.target !== field) hide();
  };
  // Focus moving to another element of the page closes the list. Focus leaving the document (relatedTarget
  // null) may be going into the list's frame, which Chromium reports a moment later (another process): look
  // again then. Removing the frame under a person's click would lose the click.
  const stillAway = () => document.activeElement !== host && document.activeElement !== field;
  const onFocusOut = (e: FocusEvent) => {
    if (e.relatedTarget && e.relatedTarget !== host) return hide();
    setTimeout(() => stillAway() && hide(), 300);
  };
  // The person's own key in a webauthn field opens the list (Tab into it, then any key, as browsers offer
  // suggestions while typing); ArrowDown moves into it, Escape closes it until the next press or key.
  const onKeyDown = (e: KeyboardEvent) => {
    if (!e.isTrusted || !isWebauthnField(e.target)) return;
    if (e.key === 'Escape') {
      dismissed = true;
      hide();
      return;
    }
    if (e.key === 'Tab' || e.key === 'Shift') return; // leaving the field, not asking for suggestions
    if (e.target !== field || !host.isConnected) {
      field = e.target;
      dismissed = false;
      show();
    }
    if (e.key === 'ArrowDown' && host.isConnected) {
      e.preventDefault();
      // After the key event: Firefox keeps the focus on the field when it moves during the field's own keydown.
      setTimeout(() => frame.focus(), 0);
    }
  };
  // A trusted press on the field opens the list, and reopens one the person dismissed with Escape.
  const onPointerDown = (e: PointerEvent) => {
    if (!e.isTrusted || !isWebauthnField(e.target)) return;
    field = e.target;
    dismissed = false;
    show();
  };
  const onMove = () => place();
  document.addEventListener('pointerdown', onPointerDown, true);
  document.addEventListener('focusin', onFocusIn, true);
  document.addEventListener('focusout', onFocusOut, true);
  document.addEventListener('keydown', onKeyDown, true);
  window.addEventListener('scroll', onMove, true);
  window.addEventListener('resize', onMove);

  return {
    update(n) {
      rows = n;
      if (host.isConnected) place();
      else show();
    },
    remove() {
      document.removeEventListener('pointerdown', onPointerDown, true);
      document.removeEventListener('focusin', onFocusIn, true);
      document.removeEventListener('focusout', onFocusOut, true);
      document.removeEventListener('keydown', onKeyDown, true);
      window.removeEventListener('scroll', onMove, true);
      window.removeEventListener('resize', onMove);
      // Hidden at once, removed a moment later: the click that chose may still be on its way back from the
      // frame's process (Chromium), and a frame removed under it can leave the input event unanswered.
      host.style.setProperty('display', 'none', 'important');
      setTimeout(hide, 1000);
    },
  };
}
