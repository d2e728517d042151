// Starts one private Redis for the whole test run; suites read its socket from
// ACCESSBOT_TEST_REDIS_SOCKET (inherited by the test workers). Suites that kill or restart
// Redis start their own with startTestRedis().
import { startTestRedis, type TestRedis } from './redis.js';

let redis: TestRedis | undefined;

export async function setup(): Promise<void> {
  redis = await startTestRedis();
  process.env.ACCESSBOT_TEST_REDIS_SOCKET = redis.socket;
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
