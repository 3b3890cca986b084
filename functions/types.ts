/**
 * The shape of one entry of the registration table. Both hosts (the Azure Functions host
 * through `functions/index.ts`, and the local host in `dev/host`) read the same entries.
 */
import type { EventGridEvent, HttpMethod, HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
/** Receives one event: an Event Grid schema event or a CloudEvents 1.0 object, as delivered. */
export type EventGridHandler = (event: EventGridEvent, context: InvocationContext) => Promise<void>;
export type TimerHandler = (timer: Timer, context: InvocationContext) => Promise<void>;

export interface HttpFunction {
  kind: 'http';
  name: string;
  /**
   * Route as the Functions host reads it, with `{param}` segments. host.json's route prefix is
   * "", and functions/table.ts puts every API route under `api/` (handlers write `requests`).
   */
  route: string;
  methods: HttpMethod[];
  handler: HttpHandler;
}

export interface EventGridFunction {
  kind: 'eventGrid';
  name: string;
  handler: EventGridHandler;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB, six fields (with seconds), UTC. */
  schedule: string;
  handler: TimerHandler;
}

export type FunctionSpec = HttpFunction | EventGridFunction | TimerFunction;
