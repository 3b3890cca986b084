/**
 * Entry point for the Azure Functions host (package.json `main`). Registers the table with
 * `@azure/functions`; nothing else calls `app.*`. Dependencies are built once, on first use,
 * from the app settings (a bad setting fails every invocation with a message naming it).
 */
import { app } from '@azure/functions';
import { lazyApp } from '../shared/compositionRoot';
import { AppError } from '../shared/domain/errors';
import { functionTable } from './table';

const getApp = lazyApp(() => process.env);

// A clean stop closes this instance's audit chains, anchoring their last records (a crash cannot:
// anchors are written at most about a second behind for that case).
app.hook.appTerminate(async () => {
  const built = await getApp.ifBuilt()?.catch(() => undefined);
  await built?.close();
});

for (const spec of functionTable(getApp)) {
  switch (spec.kind) {
    case 'http':
      app.http(spec.name, { route: spec.route, methods: spec.methods, authLevel: 'anonymous', handler: spec.handler });
      break;
    case 'eventGrid':
      app.eventGrid(spec.name, {
        handler: async (event, context) => {
          try {
            await spec.handler(event, context);
          } catch (err) {
            // The Functions host answers Event Grid 500 for any throw, and Event Grid would retry a
            // malformed event for 24 hours: log the event's own faults (400) and let them go. Our
            // faults (a missing permission, a broken invariant) are rethrown: retried, then
            // dead-lettered, never silently dropped - the same split the local host makes.
            if (err instanceof AppError && !err.transient && err.status === 400) {
              context.error(`${spec.name}: event ${event.id} refused permanently: ${err.code}: ${err.message}`);
              return;
            }
            throw err;
          }
        },
      });
      break;
    case 'timer':
      app.timer(spec.name, { schedule: spec.schedule, handler: spec.handler });
      break;
  }
}
