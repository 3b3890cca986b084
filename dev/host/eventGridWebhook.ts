/**
 * The Event Grid webhook as the Functions host serves it at `/runtime/webhooks/eventgrid`:
 * the subscription validation handshakes (Event Grid schema and CloudEvents), and
 * notifications, whose events are handed one at a time, in order, to the function. The answer
 * tells Event Grid what to do: 2xx done, 400 never retry, 5xx redeliver the whole batch.
 */
import type { HttpResponseInit } from '@azure/functions';
import { AppError, ValidationError } from '../../shared/domain/errors';
import { parseDelivery, type RawEvent } from '../../shared/domain/events/envelope';
import { errorResponse, json, type ErrorLog } from '../../functions/http/respond';
import { methodNotAllowed } from './hostResponses';

export interface WebhookRequest {
  method: string;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  body: Buffer;
}

export type InvokeEvent = (event: RawEvent, index: number) => Promise<void>;

const VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';
const CLOUDEVENTS_MEDIA_TYPES = new Set(['application/cloudevents+json', 'application/cloudevents-batch+json']);

export async function answerEventGridRequest(request: WebhookRequest, invoke: InvokeEvent, log?: ErrorLog): Promise<HttpResponseInit> {
  try {
    if (request.method === 'OPTIONS') return answerCloudEventsHandshake(request);
    if (request.method !== 'POST') return methodNotAllowed(request.method, ['POST', 'OPTIONS']);
    const eventType = request.header('aeg-event-type')?.trim();
    const mediaType = request.header('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    const isCloudEventsContent = mediaType !== undefined && CLOUDEVENTS_MEDIA_TYPES.has(mediaType);

    if (eventType === 'SubscriptionValidation') return answerValidation(parseDelivery(parseJsonBody(request.body)));
    // Event Grid tells an endpoint its subscription is gone; nothing to run.
    if (eventType === 'SubscriptionDeletion' || eventType === 'Unsubscribe') return { status: 202 };
    if (eventType !== 'Notification' && !(eventType === undefined && isCloudEventsContent)) {
      throw new ValidationError(
        eventType === undefined
          ? 'Missing header aeg-event-type: send "aeg-event-type: Notification" (or SubscriptionValidation), or CloudEvents as application/cloudevents+json.'
          : `Unknown aeg-event-type "${eventType.slice(0, 64)}": expected Notification, SubscriptionValidation or SubscriptionDeletion.`,
        'InvalidEventGridRequest',
      );
    }
    const events = parseDelivery(parseJsonBody(request.body));
    for (const [index, event] of events.entries()) await invoke(event, index);
    return { status: 200 };
  } catch (err) {
    return deliveryFailure(err, log);
  }
}

/** 400 only for permanent caller faults (Event Grid drops the batch); anything else is 500 so it redelivers. */
function deliveryFailure(err: unknown, log?: ErrorLog): HttpResponseInit {
  if (err instanceof AppError && !err.transient && err.status === 400) return errorResponse(err);
  const response = errorResponse(err, log);
  return { ...response, status: 500 };
}

function answerCloudEventsHandshake(request: WebhookRequest): HttpResponseInit {
  const origin = request.header('webhook-request-origin')?.trim();
  if (!origin) {
    throw new ValidationError('The CloudEvents validation handshake needs a WebHook-Request-Origin header.', 'InvalidEventGridRequest');
  }
  return { status: 200, headers: { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'POST, OPTIONS' } };
}

function answerValidation(events: RawEvent[]): HttpResponseInit {
  const event = events[0]!;
  const data = 'eventType' in event && event.eventType === VALIDATION_EVENT_TYPE ? event.data : undefined;
  const code = data?.['validationCode'];
  if (typeof code !== 'string' || code.length === 0) {
    throw new ValidationError(
      `A SubscriptionValidation delivery must hold a ${VALIDATION_EVENT_TYPE} with data.validationCode.`,
      'InvalidEventGridRequest',
    );
  }
  return json(200, { validationResponse: code });
}

function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim().length === 0) throw new ValidationError('The delivery body is empty; expected a JSON array of events or one event object.', 'InvalidEvent');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The delivery body is not valid JSON (${(err as Error).message}).`, 'InvalidEvent');
  }
}
