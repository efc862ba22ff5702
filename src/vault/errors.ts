// What the vault's verbs throw when the vault is not in a state to answer.

export class VaultLockedError extends Error {
  override name = 'VaultLockedError';
  constructor() {
    super('The vault is locked.');
  }
}

export class VaultNotSetUpError extends Error {
  override name = 'VaultNotSetUpError';
  constructor() {
    super('Keyport is not set up yet: choose a master password first.');
  }
}
