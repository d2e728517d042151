// Socket Mode: Slack pushes interactions over a WebSocket the app opens (no public URL).
// Bolt's SocketModeReceiver owns the connection (apps.connections.open, reconnects,
// envelope acks); we give it the same handler the HTTP route uses. Socket Mode envelopes are
// authenticated by the app-level token that opened the socket, not by a signature.

import { SocketModeReceiver } from '@slack/bolt';
import { LogLevel } from '@slack/web-api';
import type { Logger } from '../../src/plugin-sdk/index.js';
import type { SlackInteractions } from './interactions.js';
import { slackSdkLogger } from './sdk-logger.js';

export interface SocketModeConnection {
  stop(): Promise<void>;
}

interface ReceiverEvent {
  body: Record<string, unknown>;
  ack(response?: Record<string, unknown>): Promise<void>;
}

export async function startSocketMode(
  appToken: string,
  apiUrl: string,
  interactions: SlackInteractions,
  log: Logger,
): Promise<SocketModeConnection> {
  const receiver = new SocketModeReceiver({
    appToken,
    logger: slackSdkLogger(log, 'slack-socket-mode'),
    logLevel: LogLevel.WARN,
    installerOptions: { clientOptions: { slackApiUrl: apiUrl } },
  });
  // The receiver only needs something with processEvent; a full Bolt App would insist on its own routing.
  receiver.init({
    processEvent: async (event: ReceiverEvent) => {
      const ack = await interactions.handle(event.body);
      await event.ack(ack);
    },
  } as never);
  await receiver.start();
  log.info({}, 'slack: socket mode connected');
  return {
    async stop() {
      await receiver.stop();
    },
  };
}
