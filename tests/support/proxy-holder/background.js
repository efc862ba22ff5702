// Holds Chromium's WebAuthn proxy so that another extension's attach() fails. It never answers
// requests itself: Keyport's shim answers before any request reaches the browser.
chrome.webAuthenticationProxy.attach().then((error) => {
  globalThis.attachError = error ?? null;
});
