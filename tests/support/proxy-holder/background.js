// Holds Chromium's WebAuthn proxy so that another extension's attach() fails. It never answers
// requests itself: Keyport's shim answers before any request reaches the browser. It records the
// requests the browser forwards to it (globalThis.seen), so a test can tell that a request reached
// the browser's own WebAuthn client (e.g. Keyport's fallback to "another device or security key").
globalThis.seen = [];
chrome.webAuthenticationProxy.attach().then((error) => {
  globalThis.attachError = error ?? null;
});
for (const kind of ['create', 'get']) {
  const event = kind === 'create' ? 'onCreateRequest' : 'onGetRequest';
  chrome.webAuthenticationProxy[event].addListener(({ requestId, requestDetailsJson }) => {
    globalThis.seen.push({ kind, requestId, options: JSON.parse(requestDetailsJson) });
  });
}
