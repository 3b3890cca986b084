/**
 * How a table entry becomes an `@azure/functions` registration: its trigger options and its
 * handler (Event Grid's wrapped so that an event's own fault is logged and let go). Both entry
 * points register through here: ./index.ts (the build, `main` of the repository's package.json)
 * and ./package/main.ts (the deployable package, which knows the options before the code loads).
 */
import type { app as functionsApp, EventGridEvent, HttpMethod, InvocationContext } from '@azure/functions';
import { AppError } from '../shared/domain/errors';
import type { EventGridHandler, FunctionSpec, HttpHandler, TimerHandler } from './types';

/** A registration without its handler: what the package's manifest (functions.json) holds. */
export type RegistrationOptions =
  | { kind: 'http'; name: string; route: string; methods: HttpMethod[]; authLevel: 'anonymous' }
  | { kind: 'eventGrid'; name: string }
  | { kind: 'timer'; name: string; schedule: string };

export type Registration =
  | (Extract<RegistrationOptions, { kind: 'http' }> & { handler: HttpHandler })
  | (Extract<RegistrationOptions, { kind: 'eventGrid' }> & { handler: EventGridHandler })
  | (Extract<RegistrationOptions, { kind: 'timer' }> & { handler: TimerHandler });

/**
 * The Functions host answers Event Grid 500 for any throw, and Event Grid would retry a
 * malformed event for 24 hours: log the event's own faults (400) and let them go. Our faults (a
 * missing permission, a broken invariant) are rethrown: retried, then dead-lettered, never
 * silently dropped; the same split the local host makes.
 */
function lettingBadEventsGo(name: string, handler: EventGridHandler): EventGridHandler {
  return async (event: EventGridEvent, context: InvocationContext) => {
    try {
      await handler(event, context);
    } catch (err) {
      if (err instanceof AppError && !err.transient && err.status === 400) {
        context.error(`${name}: event ${event.id} refused permanently: ${err.code}: ${err.message}`);
        return;
      }
      throw err;
    }
  };
}

export function registrationOf(spec: FunctionSpec): Registration {
  switch (spec.kind) {
    case 'http':
      return { kind: 'http', name: spec.name, route: spec.route, methods: spec.methods, authLevel: 'anonymous', handler: spec.handler };
    case 'eventGrid':
      return { kind: 'eventGrid', name: spec.name, handler: lettingBadEventsGo(spec.name, spec.handler) };
    case 'timer':
      return { kind: 'timer', name: spec.name, schedule: spec.schedule, handler: spec.handler };
  }
}

/** The registration without its handler. */
export function optionsOf(registration: Registration): RegistrationOptions {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { handler, ...options } = registration;
  return options;
}

export function register(app: typeof functionsApp, r: Registration): void {
  switch (r.kind) {
    case 'http':
      app.http(r.name, { route: r.route, methods: r.methods, authLevel: r.authLevel, handler: r.handler });
      break;
    case 'eventGrid':
      app.eventGrid(r.name, { handler: r.handler });
      break;
    case 'timer':
      app.timer(r.name, { schedule: r.schedule, handler: r.handler });
      break;
  }
}
