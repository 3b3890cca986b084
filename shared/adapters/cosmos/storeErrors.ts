/**
 * Maps whatever @azure/cosmos throws (ErrorResponse with a numeric `code`, RestError with a
 * socket `code`, TimeoutError) to the named errors of shared/errors.ts, so callers decide on
 * "retry or not" by class and never by Cosmos status numbers.
 */
import { AppError, ConflictError, InternalError, NotFoundError, PreconditionFailedError, TransientError } from '../../domain/errors';

/** Cosmos answers that mean "try again later": throttled, unavailable, timed out, retry-with, gone. */
const TRANSIENT_STATUS = new Set([408, 410, 429, 449, 503]);

/** Socket-level failures: the store could not be reached at all. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'REQUEST_SEND_ERROR']);

interface CosmosLikeError {
  code?: unknown;
  statusCode?: unknown;
  substatus?: unknown;
  retryAfterInMs?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The HTTP status of a Cosmos error, if it has one (ErrorResponse puts it in `code`, RestError in `statusCode`). */
export function cosmosStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as CosmosLikeError;
  for (const candidate of [e.code, e.statusCode]) {
    if (typeof candidate === 'number') return candidate;
    if (typeof candidate === 'string' && /^\d{3}$/.test(candidate)) return Number(candidate);
  }
  return undefined;
}

function socketCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth += 1) {
    const e = current as CosmosLikeError & { name?: unknown };
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return e.code;
    if (e.name === 'TimeoutError') return 'TimeoutError';
    current = e.cause;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as CosmosLikeError).message === 'string') {
    // Cosmos messages carry a multi-line diagnostics tail (ActivityId, RequestStartTime, ...): keep the first line.
    return ((err as CosmosLikeError).message as string).split(/\r?\n/)[0]!.slice(0, 300);
  }
  return String(err);
}

/**
 * `what` names the target for the message, e.g. `grants/6f1c...` or `query on audit`.
 * An AppError passes through unchanged (it was already decided by our own code).
 */
export function toStoreError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const status = cosmosStatus(err);
  if (status === 404) return new NotFoundError(`${what} was not found.`, 'StoreNotFound');
  if (status === 409) return new ConflictError(`${what} already exists.`, 'StoreConflict');
  if (status === 412) return new PreconditionFailedError(`${what} changed while we were updating it.`, 'StorePreconditionFailed');
  if (status !== undefined && TRANSIENT_STATUS.has(status)) {
    const retryAfter = (err as CosmosLikeError).retryAfterInMs;
    const retryAfterMs = typeof retryAfter === 'number' && retryAfter > 0 ? retryAfter : undefined;
    const reason = status === 429 ? 'is throttling requests (429)' : `is unavailable (${status})`;
    return new TransientError(`Cosmos DB ${reason} for ${what}; retry later.`, status === 429 ? 'StoreThrottled' : 'StoreUnavailable', retryAfterMs);
  }
  const code = socketCode(err);
  if (code !== undefined) return new TransientError(`Cosmos DB store unavailable (${code}) for ${what}; retry later.`, 'StoreUnavailable');
  const statusText = status === undefined ? '' : ` ${status}`;
  return new InternalError(`Cosmos DB failed${statusText} on ${what}: ${messageOf(err)}`, 'StoreError');
}
