/**
 * Maps failures of ARM and Graph calls (core-rest-pipeline RestError) to our named errors,
 * so a throttled or failing Azure makes Event Grid redeliver instead of dropping work.
 */
import { AppError, ConflictError, InternalError, NotFoundError, PermissionDeniedError, TransientError } from '../../domain/errors';

interface RestLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

function retryAfterMs(err: RestLike): number | undefined {
  const header = err.response?.headers?.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

export function toAzureError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as RestLike;
  const status = e.statusCode;
  const detail = `${e.code ?? 'Error'}: ${e.message ?? String(err)}`;
  if (status === undefined) {
    // No HTTP answer at all: network trouble, DNS, TLS. Worth retrying.
    return new TransientError(`${what} failed without an answer (${detail})`, 'AzureUnavailable');
  }
  if (status === 429 || status === 408 || status >= 500) {
    return new TransientError(`${what} failed with ${status} (${detail})`, status === 429 ? 'AzureThrottled' : 'AzureUnavailable', retryAfterMs(e));
  }
  if (status === 404) return new NotFoundError(`${what}: not found (${detail})`, e.code ?? 'NotFound');
  if (status === 409) return new ConflictError(`${what}: ${detail}`, e.code ?? 'Conflict');
  if (status === 401 || status === 403) {
    return new PermissionDeniedError(`${what}: AccessManager's identity is not allowed to do this (${detail}). Check its role assignments.`);
  }
  return new InternalError(`${what} was refused with ${status} (${detail})`, e.code ?? 'AzureRequestRefused');
}
