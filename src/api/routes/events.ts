import type { Logger } from 'pino';
import { AccessbotError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { loadAccessContext, requirePermission, type ServiceSettings } from '../access-context.js';
import { authenticateToken } from '../auth.js';
import { latestSeqSchema, watchMessageSchema } from '../components.js';
import { watchHeaders, watchQuery } from '../schemas.js';
import { streamEvents } from '../watch-stream.js';
import { type ApiRoute, route } from './route.js';

/** Timings of the watch stream; tests shorten them. */
export interface WatchTiming {
  authRecheckMs?: number;
  stallTimeoutMs?: number;
  endGraceMs?: number;
  heartbeatMs?: number;
}

export function eventRoutes(
  store: Store,
  settings: ServiceSettings,
  log: Logger,
  watchTiming: WatchTiming = {},
): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/v1/events/latest',
      operationId: 'latestSeq',
      summary: 'The last sequence number of the event log',
      auth: true,
      response: latestSeqSchema,
      errors: ['FORBIDDEN', 'INTERNAL'],
      handler: async ({ caller }) => {
        requirePermission(
          caller,
          'access_request',
          ['list', 'read'],
          await loadAccessContext(store, settings),
        );
        return { seq: await store.latestSeq() };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/watch',
      operationId: 'watch',
      summary:
        'Server-sent events of every request change after `since` (or Last-Event-ID): replay from the log, then live',
      auth: true,
      query: watchQuery,
      headers: watchHeaders,
      stream: {
        message: watchMessageSchema,
        headers: {
          'Cache-Control': { description: 'Never cache the stream', value: 'no-cache, no-transform' },
        },
      },
      errors: ['INVALID_CURSOR', 'FORBIDDEN', 'CURSOR_EXPIRED', 'INTERNAL'],
      handler: async ({ caller, query, request, reply }) => {
        requirePermission(
          caller,
          'access_request',
          ['list', 'read'],
          await loadAccessContext(store, settings),
        );
        const since = parseCursor(request.headers['last-event-id'] ?? query.since ?? '0');
        const latest = await store.latestSeq();
        if (since > latest) {
          throw new AccessbotError(
            'INVALID_CURSOR',
            `cursor ${since} is beyond the end of the log (${latest})`,
            {
              latest,
            },
          );
        }
        // Events right after the cursor were pruned: replaying would silently skip them.
        const first = (await store.firstSeq()) ?? latest + 1;
        if (since + 1 < first) {
          throw new AccessbotError(
            'CURSOR_EXPIRED',
            `events ${since + 1} to ${first - 1} were pruned (older than the API's event retention); start again from the latest event (${latest})`,
            { latest },
          );
        }
        if (request.method === 'HEAD') {
          // HEAD checks the token and the cursor as GET does, and answers at once instead of streaming.
          return reply
            .code(200)
            .header('cache-control', 'no-cache, no-transform')
            .type('text/event-stream; charset=utf-8')
            .send();
        }
        const authorization = request.headers.authorization;
        const { token } = await authenticateToken(store, authorization, settings.now());
        // Checked again while the stream is open: it ends with its token, its user or their permission.
        const authorize = async () => {
          const { user } = await authenticateToken(store, authorization, settings.now());
          requirePermission(
            user,
            'access_request',
            ['list', 'read'],
            await loadAccessContext(store, settings),
          );
        };
        reply.hijack();
        await streamEvents({
          store,
          since,
          res: reply.raw,
          log,
          authorize,
          ...(token.expires ? { expiresAt: new Date(token.expires) } : {}),
          ...watchTiming,
        });
      },
    }),
  ];
}

function parseCursor(raw: string | string[]): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) {
    throw new AccessbotError('INVALID_CURSOR', 'the cursor must be a non-negative integer sequence number');
  }
  return Number(value.trim());
}
