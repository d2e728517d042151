// One mapping from anything thrown in a route to the wire shape
// `{ "error": { "code", "message", "details"? } }` with the code's status. Stack traces
// and internal messages never reach the client.

import { AccessbotError } from '../errors.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
  message?: string;
}

export function toAccessbotError(err: unknown): AccessbotError {
  if (err instanceof AccessbotError) return err;
  const e = (err ?? {}) as FastifyLikeError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AccessbotError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AccessbotError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type; send application/json');
    // A path parameter longer than any name or id (the router refuses it before any route runs):
    // the same answer as a parameter one character too long, which the route's schema refuses.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AccessbotError('VALIDATION_FAILED', 'a path segment is too long');
    case 'FST_ERR_BAD_URL':
      return new AccessbotError('VALIDATION_FAILED', 'the URL is not valid (bad percent-encoding?)');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AccessbotError('VALIDATION_FAILED', 'request body is not valid JSON');
  }
  if (e.validation) return new AccessbotError('VALIDATION_FAILED', e.message ?? 'invalid request');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AccessbotError('BAD_REQUEST', 'bad request');
  }
  return new AccessbotError('INTERNAL', 'internal error');
}

/**
 * The raw HTTP response for an error Node's parser raised before any request existed (fastify's
 * clientErrorHandler), in the one error shape; undefined when the socket should just be closed.
 */
export function clientErrorResponse(err: NodeJS.ErrnoException): string | undefined {
  // Connection already gone or idle timeout: nobody to answer.
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return undefined;
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new AccessbotError('HEADERS_TOO_LARGE', 'the request headers are larger than 16 KiB')
      : new AccessbotError('BAD_REQUEST', 'the request is not valid HTTP');
  const body = JSON.stringify(e.toJSON());
  const reason = e.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  return `HTTP/1.1 ${e.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
