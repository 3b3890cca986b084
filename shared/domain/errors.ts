/**
 * Named errors. Each says who is at fault (the caller or the system) and whether repeating
 * the same call can succeed; `shared/http/respond.ts` maps them to HTTP in one place.
 */

export type ErrorCode = string;

export abstract class AppError extends Error {
  abstract readonly status: number;
  /** True when the same call may succeed later (throttling, outage): Event Grid should redeliver. */
  abstract readonly transient: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller sent something malformed or invalid. Permanent. */
export class ValidationError extends AppError {
  readonly status = 400;
  readonly transient = false;
  constructor(message: string, code: ErrorCode = 'InvalidRequest', details?: unknown) {
    super(code, message, details);
  }
}

/** No verified identity on the call. */
export class UnauthenticatedError extends AppError {
  readonly status = 401;
  readonly transient = false;
  constructor(message = 'Sign in first: this API needs an Entra identity (App Service authentication).', code: ErrorCode = 'Unauthenticated') {
    super(code, message);
  }
}

/** Identity known, but policy or role does not allow this. */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly transient = false;
  constructor(message: string, code: ErrorCode = 'Forbidden') {
    super(code, message);
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly transient = false;
  constructor(message: string, code: ErrorCode = 'NotFound') {
    super(code, message);
  }
}

/** The target is in a state that does not allow this (resolved request, duplicate approval). */
export class ConflictError extends AppError {
  readonly status = 409;
  readonly transient = false;
  constructor(message: string, code: ErrorCode = 'Conflict') {
    super(code, message);
  }
}

/** An ETag no longer matches: someone else wrote first. Retried by the compare-and-swap helper. */
export class PreconditionFailedError extends AppError {
  readonly status = 412;
  readonly transient = true;
  constructor(message = 'The document changed while we were updating it.', code: ErrorCode = 'PreconditionFailed') {
    super(code, message);
  }
}

/** A dependency is throttling or unavailable (ARM 429/5xx, Cosmos 429/503). Retry later. */
export class TransientError extends AppError {
  readonly status = 503;
  readonly transient = true;
  constructor(
    message: string,
    code: ErrorCode = 'DependencyUnavailable',
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
  }
}

/** A dependency answered in a way we do not understand, or our own invariant broke. Not the caller's fault. */
export class InternalError extends AppError {
  readonly status = 500;
  readonly transient = false;
  constructor(message: string, code: ErrorCode = 'InternalError', details?: unknown) {
    super(code, message, details);
  }
}

/**
 * Azure refused AccessManager's own identity (ARM 401/403): its role assignment was removed or
 * narrowed. Not the caller's fault and not transient by itself; enforcement records it as an
 * incident (`enforcement.selfAccessLost`) and retries what it could not do once access returns.
 */
export class PermissionDeniedError extends InternalError {
  constructor(message: string, code: ErrorCode = 'AzurePermissionDenied') {
    super(message, code);
  }
}

/** Start-up configuration is missing or bad. Thrown before anything is served. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
