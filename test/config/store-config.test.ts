// `api.store`: the driver picks the block's shape, a bad block says what is wrong, the TLS
// settings reach `pg`, and what the log says about the store never carries the URL.

import { expect, it } from 'vitest';
import { apiConfigSchema } from '../../src/config/schema.js';
import { describeStore } from '../../src/store/open-store.js';
import { clientConfig } from '../../src/store/postgres-pool.js';

const issues = (store: unknown) => {
  const result = apiConfigSchema.safeParse({ store });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

it('defaults to SQLite, and a block with a url (ACCESSBOT_DATABASE_URL alone) is PostgreSQL', () => {
  expect(apiConfigSchema.parse({}).store).toEqual({ driver: 'sqlite', path: './data/accessbot.db' });
  expect(apiConfigSchema.parse({ store: { path: '/x.db' } }).store).toEqual({
    driver: 'sqlite',
    path: '/x.db',
  });
  expect(apiConfigSchema.parse({ store: { url: 'postgres://u:p@db/acc' } }).store).toEqual({
    driver: 'postgres',
    url: 'postgres://u:p@db/acc',
    pool_size: 10,
    statement_timeout: 30_000,
    connect_timeout: 5000,
  });
  expect(
    apiConfigSchema.parse({
      store: { driver: 'postgres', url: 'postgresql://db/acc', pool_size: 3, statement_timeout: '2s' },
    }).store,
  ).toMatchObject({ pool_size: 3, statement_timeout: 2000 });
});

it('says what is wrong with a bad store block', () => {
  expect(issues({ driver: 'postgres' })).toEqual([
    'store.url: Invalid input: expected string, received undefined',
  ]);
  expect(issues({ driver: 'postgres', url: 'mysql://db/x' })).toEqual([
    'store.url: a postgres:// or postgresql:// URL',
  ]);
  expect(issues({ driver: 'postgres', url: 'postgres://db/x', pool_size: 0 })[0]).toMatch(
    /^store\.pool_size: /,
  );
  expect(issues({ driver: 'postgres', url: 'postgres://db/x', path: '/x.db' })[0]).toMatch(/^store: .*path/);
  expect(issues({ driver: 'mysql' })[0]).toMatch(/^store\.driver: /);
});

it('passes the TLS settings to pg, verifying the server by default', () => {
  const base = { url: 'postgres://db/acc', statement_timeout: 1000, connect_timeout: 2000 };
  expect(clientConfig(base, 'x').ssl).toBeUndefined();
  const store = apiConfigSchema.parse({
    store: { driver: 'postgres', url: 'postgres://db/acc', tls: { ca: 'CA PEM', servername: 'db.internal' } },
  }).store;
  expect(store.driver === 'postgres' && clientConfig(store, 'x').ssl).toEqual({
    rejectUnauthorized: true,
    ca: 'CA PEM',
    servername: 'db.internal',
  });
  expect(clientConfig({ ...base, tls: { reject_unauthorized: false } }, 'x').ssl).toEqual({
    rejectUnauthorized: false,
  });
});

it('describes a PostgreSQL store for the log without its URL or password', () => {
  const text = JSON.stringify(
    describeStore({
      driver: 'postgres',
      url: 'postgres://acc:s3cret-pw@db.internal:5432/accessbot',
      pool_size: 4,
      statement_timeout: 1,
      connect_timeout: 1,
    }),
  );
  expect(text).not.toContain('s3cret-pw');
  expect(text).not.toContain('postgres://');
  expect(JSON.parse(text)).toEqual({
    driver: 'postgres',
    host: 'db.internal',
    database: 'accessbot',
    pool_size: 4,
  });
});
