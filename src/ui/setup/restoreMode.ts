// What Restore.svelte brings a vault back from. In a .ts module, not the component's module script, so that
// every tool (tsc, svelte-check, ESLint's type-aware rules) resolves it.
export type RestoreMode = 'restore-server' | 'restore-backup' | 'forgot';
