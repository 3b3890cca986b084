/**
 * More app instances beside a local stack, as the Functions scale controller runs them: each its
 * own composition root (SDK clients, ledger chain, ARM pacer) and host, all on the stack's store
 * and simulated Azure; and an Event Grid stand-in that spreads deliveries across them (round
 * robin) and sends every `duplicateEvery`-th one to the next instance too. The several-instances
 * test and the scale benchmark use it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../shared/compositionRoot';
import { RecordingNotifier } from '../shared/adapters/recordingNotifier';
import { functionTable } from '../functions/table';
import { startHost, type LocalHost } from './host';
import { appRoutePrefix } from './host/hostJson';
import type { LocalStack } from './localStack';
import { simCredential } from './sim';
import { PEOPLE } from './tenant';

export interface ExtraInstance {
  app: App;
  host: LocalHost;
  stop(): Promise<void>;
}

export async function startExtraInstance(stack: LocalStack, tag: string): Promise<ExtraInstance> {
  const app = await buildApp(stack.deps.config, { credential: simCredential(PEOPLE.accessManager), ca: stack.ca, notifier: new RecordingNotifier(), instanceTag: tag });
  const host = await startHost({ port: 0, functions: functionTable(() => Promise.resolve(app)), routePrefix: appRoutePrefix() });
  return {
    app,
    host,
    stop: async () => {
      await host.stop();
      await app.close();
    },
  };
}

export interface DeliverySpread {
  /** Deliveries each instance answered first, and copies sent to a second instance. */
  counts: { perInstance: number[]; duplicates: number };
  /** The armEvents webhook URL to give the simulator. */
  webhook: string;
  stop(): Promise<void>;
}

export async function spreadDeliveries(instanceUrls: readonly string[], duplicateEvery = 3): Promise<DeliverySpread> {
  const counts = { perInstance: instanceUrls.map(() => 0), duplicates: 0 };
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = n++;
      const primary = i % instanceUrls.length;
      const send = (t: number) =>
        fetch(`${instanceUrls[t]}${req.url ?? ''}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'aeg-event-type': String(req.headers['aeg-event-type'] ?? 'Notification') },
          body: Buffer.concat(chunks),
        });
      counts.perInstance[primary] = (counts.perInstance[primary] ?? 0) + 1;
      const copies = [send(primary)];
      if (duplicateEvery > 0 && i % duplicateEvery === 0) {
        counts.duplicates++;
        copies.push(send((primary + 1) % instanceUrls.length));
      }
      Promise.all(copies)
        .then(async ([answer]) => {
          res.writeHead(answer!.status, { 'content-type': 'application/json' });
          res.end(await answer!.text());
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    counts,
    webhook: `http://localhost:${(server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=armEvents`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
