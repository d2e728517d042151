// gRPC status codes from the auth service → our typed errors (by code, never by message text).

import { status } from '@grpc/grpc-js';
import { AccessbotError, type ErrorCode } from '../../../errors.js';

interface GrpcFailure {
  code?: number;
  details?: string;
}

function isGrpcFailure(err: unknown): err is GrpcFailure {
  return typeof err === 'object' && err !== null && typeof (err as GrpcFailure).code === 'number';
}

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [status.NOT_FOUND]: 'NOT_FOUND',
  [status.PERMISSION_DENIED]: 'FORBIDDEN',
  [status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [status.ALREADY_EXISTS]: 'CONFLICT',
  [status.INVALID_ARGUMENT]: 'BAD_REQUEST',
  [status.FAILED_PRECONDITION]: 'CONFLICT',
  [status.UNAVAILABLE]: 'API_UNAVAILABLE',
  [status.DEADLINE_EXCEEDED]: 'API_UNAVAILABLE',
  [status.CANCELLED]: 'API_UNAVAILABLE',
  [status.RESOURCE_EXHAUSTED]: 'API_UNAVAILABLE',
};

/** The gRPC status of a failed call, or undefined for anything else. */
export function grpcStatusOf(err: unknown): number | undefined {
  return isGrpcFailure(err) ? err.code : undefined;
}

/** A failed call as AccessbotError; `overrides` turn a status into a code that says more in context. */
export function fromGrpc(
  err: unknown,
  what: string,
  overrides: Partial<Record<number, ErrorCode>> = {},
): AccessbotError {
  if (err instanceof AccessbotError) return err;
  if (!isGrpcFailure(err))
    return new AccessbotError('API_UNAVAILABLE', `Teleport: ${what} failed: ${String(err)}`);
  const code = overrides[err.code ?? -1] ?? BY_STATUS[err.code ?? -1] ?? 'INTERNAL';
  return new AccessbotError(code, `Teleport: ${what}: ${err.details || status[err.code ?? 2]}`);
}
