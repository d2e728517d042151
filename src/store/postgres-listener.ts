// The LISTEN connection of one replica: a dedicated client (LISTEN belongs to a session, so it
// never goes back to a pool) that reconnects by itself after the server restarts or the network
// drops, and says so, because notifications sent while it was away are lost: the caller then
// re-reads the log from its cursor. Notifications are only wake-ups; the log is the truth.

import pg from 'pg';
import type { Logger } from 'pino';

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5000;

export interface PostgresListener {
  close(): Promise<void>;
}

export function startPostgresListener(opts: {
  config: pg.ClientConfig;
  channel: string;
  /** A notification arrived (payload as sent). */
  onNotify: (payload: string | undefined) => void;
  /** (Re)connected and listening: anything may have been missed while away. */
  onListening: () => void;
  log?: Logger;
}): PostgresListener {
  let client: pg.Client | undefined;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const scheduleReconnect = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };

  const connect = async () => {
    const c = new pg.Client(opts.config);
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (client === c) client = undefined;
      c.end().catch(() => undefined);
      if (!closed) {
        opts.log?.warn('store listener lost its PostgreSQL connection; reconnecting');
        scheduleReconnect();
      }
    };
    c.on('error', onLost);
    c.on('end', onLost);
    c.on('notification', (n) => {
      if (n.channel === opts.channel) opts.onNotify(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(opts.channel)}`);
    } catch {
      onLost();
      return;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = RECONNECT_MIN_MS;
    opts.onListening();
  };

  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
