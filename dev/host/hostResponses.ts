/**
 * The answers the host gives on its own (no function involved), in the API's error shape
 * `{"error":{"code","message"}}` so clients parse every failure the same way.
 */
import type { HttpResponseInit } from '@azure/functions';
import { NotFoundError } from '../../shared/domain/errors';
import { errorResponse, json } from '../../functions/http/respond';

export function notFound(message: string): HttpResponseInit {
  return errorResponse(new NotFoundError(message));
}

export function methodNotAllowed(method: string, allow: readonly string[]): HttpResponseInit {
  const message = `${method} is not allowed here; use ${allow.join(' or ')}.`;
  return json(405, { error: { code: 'MethodNotAllowed', message } }, { allow: allow.join(', ') });
}

export function payloadTooLarge(maxBytes: number): HttpResponseInit {
  const message = `The request body is larger than ${maxBytes} bytes; send a smaller body.`;
  return json(413, { error: { code: 'PayloadTooLarge', message } });
}

export function stopping(): HttpResponseInit {
  return json(503, { error: { code: 'ServiceStopping', message: 'The local host is shutting down; try again once it is back.' } }, { 'retry-after': '1' });
}
