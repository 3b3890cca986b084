/**
 * One AccessManager instance in a process of its own: the app built against given endpoints (a
 * store, a simulated Azure, Azurite), served by the local host on a given port. The crash test
 * (dev/chaos.ts) forks it and kills it with SIGKILL at random points; SIGTERM stops it cleanly.
 *
 * Options come as JSON in AM_HOST_OPTIONS: the settings (as loadConfig reads them), the CA of the
 * local servers, the port, and optionally a scaled clock (`{ epochMs, speed }`: time runs `speed`
 * times faster from `epochMs`, so one-minute grants expire within seconds). Ready is announced on
 * the IPC channel as `{ ready: url }`.
 */
import { buildApp, type App } from '../shared/compositionRoot';
import { loadConfig } from '../shared/config';
import { scaledClock, type AppHostOptions } from './hostOptions';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import { functionTable } from '../functions/table';
import { startHost } from './host';
import { appRoutePrefix } from './host/hostJson';
import { simCredential } from './sim';
import { PEOPLE } from './tenant';

async function main(): Promise<void> {
  const raw = process.env['AM_HOST_OPTIONS'];
  if (!raw) throw new Error('AM_HOST_OPTIONS is missing: this entry is started by dev/chaos.ts.');
  const opts = JSON.parse(raw) as AppHostOptions;
  const config = loadConfig(opts.settings);
  const app: Promise<App> = buildApp(config, {
    credential: simCredential(PEOPLE.accessManager),
    ca: opts.ca,
    instanceTag: opts.instanceTag,
    notifier: new RecordingNotifier(),
    ...(opts.clock ? { clock: scaledClock(opts.clock.epochMs, opts.clock.speed) } : {}),
    ...(opts.auditLeaseMs !== undefined ? { auditLeaseMs: opts.auditLeaseMs } : {}),
  });
  app.catch(() => undefined);
  const host = await startHost({ port: opts.port, functions: functionTable(() => app), routePrefix: appRoutePrefix() });
  await app;
  process.send?.({ ready: host.url });
  process.once('SIGTERM', () => {
    void (async () => {
      await host.stop();
      await (await app).close();
      process.exit(0);
    })();
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('appHost failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
