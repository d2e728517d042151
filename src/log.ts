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

/** Keys pino writes on every line; a logged object must not carry them a second time. */
const PINO_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/**
 * A logged field named like one of pino's own (`{ level: 1 }`) would make the line carry that
 * key twice, and JSON readers keep the last one: such fields move under `fields` instead.
 */
export function withoutPinoKeys(obj: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(obj).some((key) => PINO_KEYS.has(key))) return obj;
  const clashes = Object.fromEntries(Object.entries(obj).filter(([key]) => PINO_KEYS.has(key)));
  const kept = Object.fromEntries(Object.entries(obj).filter(([key]) => !PINO_KEYS.has(key)));
  return { ...kept, fields: { ...(kept.fields as object | undefined), ...clashes } };
}

export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.ACCESSBOT_LOG_LEVEL ?? 'info',
      name: opts.name ?? 'accessbot',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      formatters: { log: withoutPinoKeys },
    },
    opts.destination ?? process.stdout,
  );
}

export type { Logger };
