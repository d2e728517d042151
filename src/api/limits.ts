// What one HTTP call or one watch connection may cost the API, in bytes as well as in count.
// Each is derived from the per-request limit (src/access/limits.ts), so the largest request the
// API accepts always fits: a page holds at least MIN_PAGE_REQUESTS of them, a watch event
// carries one. Documented in src/api/README.md ("Limits").

import { MAX_REQUEST_BYTES } from '../access/limits.js';

/** JSON bodies (roles files are the largest legitimate ones). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Requests per page: `limit` may ask for fewer. */
export const MAX_PAGE_REQUESTS = 1000;
export const DEFAULT_PAGE_REQUESTS = 500;
/**
 * Request JSON per page. A page stops after the request that crosses it and says where to
 * continue (`next`), so a page of maximum-size requests is ~4 MiB, not ~125 MiB.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;
/** A page of maximum-size requests holds at least this many. */
export const MIN_PAGE_REQUESTS = Math.floor(MAX_PAGE_BYTES / MAX_REQUEST_BYTES);
/** The largest event on the watch stream: one stored request plus the event's own fields. */
export const MAX_WATCH_EVENT_BYTES = MAX_REQUEST_BYTES + 1024;
/**
 * One read of the event log by a watch connection stops after the event that crosses this,
 * and the next read waits until the reader has taken what was written. What one connection
 * holds is therefore about one read plus the socket's high-water mark, in replay and live alike.
 */
export const WATCH_READ_BYTES = 64 * 1024;
export const WATCH_READ_EVENTS = 500;
/** Bytes queued on a watch socket before the stream waits for the reader. */
export const WATCH_HIGH_WATER_BYTES = 64 * 1024;
/** A reader that takes nothing for this long is disconnected (it resumes with Last-Event-ID). */
export const WATCH_STALL_TIMEOUT_MS = 60_000;
/** How often an open watch stream re-checks its token, its user and their permission. */
export const WATCH_AUTH_RECHECK_MS = 5_000;
