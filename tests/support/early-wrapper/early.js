// Keeps CredentialsContainer's methods as this script finds them, and says whether they were still the browser's own
// (that is, whether this script ran before Keyport's shim), for tests/e2e/site-control.test.mjs.
window.__early = {
  create: CredentialsContainer.prototype.create,
  get: CredentialsContainer.prototype.get,
  ranFirst: /\[native code\]/.test(Function.prototype.toString.call(CredentialsContainer.prototype.create)),
};
