export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { CommitListener, RequestFilter, Store, TokenRecord } from './types.js';
