// Starts one private Redis and one private PostgreSQL for the whole test run; suites read the
// Redis socket from ACCESSBOT_TEST_REDIS_SOCKET and the PostgreSQL socket folder from
// ACCESSBOT_TEST_PG_SOCKET_DIR (inherited by the test workers), and take a database of their
// own there. Suites that kill or restart a server start their own (startTestRedis, startTestPostgres).
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { startTestRedis, type TestRedis } from './redis.js';

let redis: TestRedis | undefined;
let postgres: TestPostgres | undefined;

export async function setup(): Promise<void> {
  redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
  postgres = await startTestPostgres();
  process.env.ACCESSBOT_TEST_PG_SOCKET_DIR = postgres.socketDir;
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  await postgres?.stop();
}
