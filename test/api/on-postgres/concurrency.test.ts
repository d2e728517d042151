// test/api/concurrency.test.ts, with the API on PostgreSQL (a database of its own on the run's private server).
process.env.ACCESSBOT_TEST_STORE = 'postgres';
await import('../concurrency.test.js');
