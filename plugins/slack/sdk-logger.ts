// The Slack SDKs' logger interface (@slack/logger) over the host's JSON logger, so what the
// Web API client and Socket Mode print (Slack's `response_metadata.warnings`, deprecations,
// reconnects) arrives as JSON lines in the one log instead of plain text on the console.

import { LogLevel } from '@slack/web-api';
import type { Logger } from '../../src/plugin-sdk/index.js';

export interface SlackSdkLogger {
  debug(...msg: unknown[]): void;
  info(...msg: unknown[]): void;
  warn(...msg: unknown[]): void;
  error(...msg: unknown[]): void;
  setLevel(level: LogLevel): void;
  getLevel(): LogLevel;
  setName(name: string): void;
}

const text = (msg: unknown[]) =>
  msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');

/** `component` names the SDK part in each line (`slack-web-api`, `slack-socket-mode`). */
export function slackSdkLogger(log: Logger, component: string): SlackSdkLogger {
  // The SDK asks for a level; ours decides what is written, so this only answers what was set.
  let level = LogLevel.WARN;
  return {
    debug: (...msg) => log.debug({ component }, text(msg)),
    info: (...msg) => log.info({ component }, text(msg)),
    warn: (...msg) => log.warn({ component }, text(msg)),
    error: (...msg) => log.error({ component }, text(msg)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
