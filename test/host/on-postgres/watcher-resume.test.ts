// test/host/watcher-resume.test.ts, with the access API on PostgreSQL (a database of its own on the run's private server).
import { afterAll } from 'vitest';

const previous = process.env.ACCESSBOT_TEST_STORE;
process.env.ACCESSBOT_TEST_STORE = 'postgres';
afterAll(() => {
  if (previous === undefined) delete process.env.ACCESSBOT_TEST_STORE;
  else process.env.ACCESSBOT_TEST_STORE = previous;
});
await import('../watcher-resume.test.js');
