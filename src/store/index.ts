export { describeStore, openStore } from './open-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export type { CommitListener, SingletonName, Store, TokenRecord } from './types.js';
