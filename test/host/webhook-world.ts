// A real API, host and Redis delivering through the webhook plugin to a real receiver on
// 127.0.0.1: the set-up the webhook suites share. Each suite gives its routing (which needs
// the receiver's URLs) and whatever else it tunes.

import { type Receiver, startReceiver } from '../support/receiver.js';
import { startTestStack, type TestStack, type TestStackOptions } from '../support/stack.js';
import { HOST_ROLES, HOST_USERS } from './fixtures.js';

export interface WebhookWorld {
  receiver: Receiver;
  stack: TestStack;
  stop(): Promise<void>;
}

/** `options` may leave out `plugins`: the webhook plugin with `secret` then runs alone. */
export async function startWebhookWorld(
  secret: string,
  options: (receiver: Receiver) => Partial<Omit<TestStackOptions, 'rolesYaml' | 'users'>>,
): Promise<WebhookWorld> {
  const receiver = await startReceiver({ secret });
  const stack = await startTestStack({
    rolesYaml: HOST_ROLES,
    users: HOST_USERS,
    plugins: { webhook: { secret } },
    ...options(receiver),
  });
  return {
    receiver,
    stack,
    async stop() {
      await stack.stop();
      await receiver.stop();
    },
  };
}
