export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { CommitListener, Store, TokenRecord } from './types.js';
