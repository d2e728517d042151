// pino JSON logs with secrets redacted wherever they might appear in a logged object.
import { type Logger, pino } from 'pino';

export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'secret',
  '*.secret',
  '*.*.secret',
  '*.signing_secret',
  '*.*.signing_secret',
  '*.webhook_secret',
  '*.*.webhook_secret',
  '*.app_token',
  '*.*.app_token',
  '*.bot_token',
  '*.*.bot_token',
  '*.access_token',
  '*.*.access_token',
  '*.api_key',
  '*.*.api_key',
  '*.api_token',
  '*.*.api_token',
  '*.password',
  '*.*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-accessbot-signature"]',
];

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.ACCESSBOT_LOG_LEVEL ?? 'info',
      name: opts.name ?? 'accessbot',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination ?? process.stdout,
  );
}

export type { Logger };
