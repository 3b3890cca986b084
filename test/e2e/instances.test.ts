/**
 * Several instances (issue 14), end to end: two app instances (each its own composition root,
 * SDK clients and host) against one store and one simulated Azure, as the Functions scale
 * controller runs them. Event Grid's deliveries are spread across both, and every third one is
 * delivered to the other instance too; both run reconcile and expireGrants at the same moment.
 * Then: one record per decision, one grant per request, breaker state seen alike by both, nothing
 * left behind, and the ledger verifies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from '../../dev/localStack';
import { startHost, type LocalHost } from '../../dev/host';
import { appRoutePrefix } from '../../dev/host/hostJson';
import { simCredential } from '../../dev/sim';
import { PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { functionTable } from '../../functions/table';
import { buildApp, type App } from '../../shared/compositionRoot';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { enforcementStatus } from '../../shared/usecases/enforcement';
import { runExpiry } from '../../shared/usecases/expiry';
import builtInRoles from '../../dev/sim/data/builtin-roles.json';
import { approvedGrant, assignOutOfBand, auditRecords, closeSimAgents, exists, settle, startEnforcementStack, until, USER } from './enforcementHelpers';

const ROLES = (builtInRoles as Array<{ name: string; properties: { roleName: string } }>)
  .filter((r) => !/owner|administrator|contributor/i.test(r.properties.roleName))
  .map((r) => r.name)
  .slice(0, 40);

let stack: LocalStack;
let second: App;
let secondHost: LocalHost;
let proxy: http.Server;
const deliveries = { first: 0, second: 0, duplicates: 0 };

/** Event Grid in front of two instances: round robin, and every third delivery sent to both. */
function spreadDeliveries(targets: readonly string[]): Promise<http.Server> {
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const i = n++;
      const primary = i % 2;
      const send = (t: number) =>
        fetch(`${targets[t]}${req.url ?? ''}`, { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': String(req.headers['aeg-event-type'] ?? 'Notification') }, body: Buffer.concat(chunks) });
      deliveries[primary === 0 ? 'first' : 'second']++;
      const copies = [send(primary)];
      if (i % 3 === 0) {
        deliveries.duplicates++;
        copies.push(send(1 - primary));
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
  return new Promise((resolve) => server.listen(0, () => resolve(server)));
}

beforeAll(async () => {
  stack = await startEnforcementStack();
  second = await buildApp(stack.deps.config, { credential: simCredential(PEOPLE.accessManager), ca: stack.ca, notifier: new RecordingNotifier(), instanceTag: 'second' });
  secondHost = await startHost({ port: 0, functions: functionTable(() => Promise.resolve(second)), routePrefix: appRoutePrefix() });
  proxy = await spreadDeliveries([stack.url, secondHost.url]);
  stack.sim.events.setWebhook(`http://localhost:${(proxy.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=armEvents`);
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await secondHost?.stop();
  await second?.close();
  await stack?.stop();
  await closeSimAgents();
});

it('spreads and duplicates deliveries across two instances, runs both timers at once, and keeps one record per decision', async () => {
  // Rogue assignments announced by events (spread and duplicated), and quiet ones only a reconcile finds.
  const rogue = await Promise.all(Array.from({ length: 24 }, (_, i) => assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLES[i]!, principalId: PEOPLE.mallory })));
  const quiet = Array.from({ length: 6 }, (_, i) => stack.sim.state.seedAssignment({ scope: RG.research, role: ROLES[30 + i]!, principalId: PEOPLE.mallory }));
  // Grants that expire, and one request approved through each instance's API.
  const grants = await Promise.all([
    approvedGrant(stack, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1M', approvers: [USER.bob] }),
    approvedGrant(stack, { requester: USER.dave, scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1M', approvers: [USER.carol] }),
  ]);
  await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be revoked');

  // Both instances run both timers at the same moment (Functions runs a timer on one instance at a time; this is the worst case).
  await Promise.all([stack.host.runTimer('reconcile'), secondHost.runTimer('reconcile')]);
  const later = { ...stack.deps, clock: { now: () => new Date(Date.now() + 5 * 60_000) } };
  const laterSecond = { ...second.deps, clock: later.clock };
  await Promise.all([runExpiry(later), runExpiry(laterSecond)]);
  await settle(stack);

  expect(deliveries.first).toBeGreaterThan(0);
  expect(deliveries.second).toBeGreaterThan(0);
  expect(deliveries.duplicates).toBeGreaterThan(0);
  expect([...rogue, ...quiet].filter((r) => exists(stack, r.id))).toEqual([]);
  for (const g of grants) expect(exists(stack, g.assignmentId)).toBe(false);

  const records = await auditRecords(stack, { scope: SUBSCRIPTION_SCOPE });
  const count = (pred: (r: (typeof records)[number]) => boolean) => records.filter(pred).length;
  for (const r of [...rogue, ...quiet]) expect(count((x) => x.action === 'assignment.revoked' && x.assignmentId?.toLowerCase() === r.id.toLowerCase())).toBe(1);
  for (const g of grants) {
    expect(count((x) => x.action === 'grant.created' && x.grantId === g.grantId)).toBe(1);
    expect(count((x) => x.action === 'grant.expired' && x.grantId === g.grantId)).toBe(1);
    expect(count((x) => x.action === 'request.created' && x.requestId === g.requestId)).toBe(1);
  }
  // Both instances read the same breaker state (the store's), and the ledger of both verifies.
  expect(await enforcementStatus(second.deps)).toEqual(await enforcementStatus(stack.deps));
  const verify = await second.deps.audit.verify();
  expect(verify.ok).toBe(true);
});
