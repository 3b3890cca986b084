/** Event Grid delivery of the simulator: shape, suppression, retries and the delivery knobs, against a local webhook. */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent } from 'undici';
import { generateLocalTls } from '../../dev/tls';
import { DEFAULT_KNOBS, simCredential, startSimulator, type ArmEventData, type EventGridEvent, type Simulator } from '../../dev/sim';
import { roleDefinitionId } from '../../shared/domain/armIds';
import { findBuiltInRole } from '../../shared/domain/roles';
import { DAVE_BASELINE_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const FIXTURES = path.join(__dirname, '../events/fixtures');
const READER = roleDefinitionId(LOCAL_SUBSCRIPTION_ID, findBuiltInRole('Storage Blob Data Reader')!.guid);

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Array<EventGridEvent<ArmEventData>>;
}

/** A webhook that records every delivery and answers with the next scripted status (200 when the script runs out). */
class Receiver {
  readonly received: Received[] = [];
  script: number[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<EventGridEvent<ArmEventData>> });
      res.writeHead(this.script.shift() ?? 200);
      res.end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, resolve));
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=armEvents`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  clear(): void {
    this.received.length = 0;
    this.script = [];
  }

  events(): Array<EventGridEvent<ArmEventData>> {
    return this.received.flatMap((r) => r.body);
  }
}

let sim: Simulator;
let receiver: Receiver;
let cert: string;
let dispatcher: Agent;

function client(objectId: string): AuthorizationManagementClient {
  return new AuthorizationManagementClient(simCredential(objectId), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca: cert } });
}

function keyShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyShape);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keyShape(v)]));
  return typeof value;
}

async function createAs(objectId: string, scope: string = RG.weights, principalId = PEOPLE.alice, headers?: Record<string, string>): Promise<string> {
  const name = randomUUID();
  await client(objectId).roleAssignments.create(scope, name, { roleDefinitionId: READER, principalId }, headers ? { requestOptions: { customHeaders: headers } } : {});
  return name;
}

/** A write whose assignment is then removed behind ARM's back, so the same triple can be written again. */
async function writeOnce(requestId: string): Promise<void> {
  const name = await createAs(PEOPLE.dave, RG.sandbox, PEOPLE.alice, { 'x-ms-client-request-id': requestId });
  sim.state.assignments.delete(`${RG.sandbox}/providers/Microsoft.Authorization/roleAssignments/${name}`);
}

function requestIds(): string[] {
  return receiver.events().map((e) => e.data.httpRequest.clientRequestId);
}

beforeAll(async () => {
  const tls = await generateLocalTls();
  cert = tls.cert;
  dispatcher = new Agent({ connect: { ca: cert } });
  receiver = new Receiver();
  await receiver.start();
  sim = await startSimulator({ tls, eventsWebhook: receiver.url, knobs: { retryBaseMs: 5, retryMaxMs: 20 } });
});

afterAll(async () => {
  await sim.stop();
  await receiver.stop();
  await dispatcher.close();
});

beforeEach(() => {
  sim.state.reset();
  Object.assign(sim.knobs, DEFAULT_KNOBS, { retryBaseMs: 5, retryMaxMs: 20 });
  receiver.clear();
});

describe('event shape', () => {
  it('emits one ResourceWriteSuccess per role assignment PUT, shaped exactly like the fixture, with the caller as evidence', async () => {
    const name = await createAs(PEOPLE.dave);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(1);
    const delivery = receiver.received[0]!;
    expect(delivery.headers['aeg-event-type']).toBe('Notification');
    expect(delivery.headers['content-type']).toBe('application/json');
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'role-assignment-write.eventgrid.json'), 'utf8')) as unknown[];
    expect(keyShape(delivery.body)).toEqual(keyShape(fixture));
    expect(Object.keys(delivery.body[0]!)).toEqual(Object.keys(fixture[0] as object));

    const event = delivery.body[0]!;
    const id = `${RG.weights}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    expect(event.eventType).toBe('Microsoft.Resources.ResourceWriteSuccess');
    expect(event.subject).toBe(id);
    expect(event.topic).toBe(SUBSCRIPTION_SCOPE);
    expect(event.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(event.data.operationName).toBe('Microsoft.Authorization/roleAssignments/write');
    expect(event.data.resourceUri).toBe(id);
    expect(event.data.authorization.evidence).toEqual({
      role: 'Owner',
      roleAssignmentScope: SUBSCRIPTION_SCOPE,
      roleAssignmentId: DAVE_BASELINE_ASSIGNMENT_NAME.replace(/-/g, ''),
      roleDefinitionId: findBuiltInRole('Owner')!.guid.replace(/-/g, ''),
      principalId: PEOPLE.dave,
      principalType: 'User',
    });
    expect(event.data.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBe('dave@contoso.test');
    expect(event.data.httpRequest.method).toBe('PUT');
    expect(event.data.httpRequest.url).toBe(`https://management.azure.com${id}?api-version=2022-04-01`);
    expect(JSON.stringify(event)).not.toContain(PEOPLE.alice);
  });

  it("names the app's own writes by the managed identity and its User Access Administrator assignment", async () => {
    await createAs(PEOPLE.accessManager);
    await sim.events.idle();
    const data = receiver.events()[0]!.data;
    expect(data.authorization.evidence.role).toBe('User Access Administrator');
    expect(data.authorization.evidence.principalType).toBe('ServicePrincipal');
    expect(data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe(PEOPLE.accessManager);
    expect(data.claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBeUndefined();
  });

  it('emits ResourceDeleteSuccess for a delete that deleted, and nothing for one that found nothing', async () => {
    const name = await createAs(PEOPLE.dave);
    await client(PEOPLE.dave).roleAssignments.delete(RG.weights, name);
    await client(PEOPLE.dave).roleAssignments.delete(RG.weights, name);
    await sim.events.idle();
    const types = receiver.events().map((e) => e.eventType);
    expect(types).toEqual(['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess']);
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'role-assignment-delete.eventgrid.json'), 'utf8')) as unknown[];
    expect(keyShape([receiver.events()[1]])).toEqual(keyShape(fixture));
  });

  it('suppresses the event of a write sent with x-sim-events: off', async () => {
    await createAs(PEOPLE.dave, RG.weights, PEOPLE.alice, { 'x-sim-events': 'off' });
    await sim.events.idle();
    expect(receiver.received).toHaveLength(0);
  });

  it('emits a storage account write like the storage fixture', async () => {
    const res = await fetch(`${sim.url}${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights?api-version=2023-05-01`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-sim-caller': PEOPLE.dave },
      body: JSON.stringify({ properties: { allowBlobPublicAccess: true } }),
      dispatcher,
    } as RequestInit);
    expect(res.status).toBe(200);
    const account = (await res.json()) as { properties: Record<string, unknown> };
    expect(account.properties.allowBlobPublicAccess).toBe(true);
    expect(account.properties.minimumTlsVersion).toBe('TLS1_2');
    await sim.events.idle();
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, 'storage-account-write.eventgrid.json'), 'utf8')) as unknown[];
    expect(keyShape(receiver.received[0]!.body)).toEqual(keyShape(fixture));
    const data = receiver.events()[0]!.data;
    expect(data.operationName).toBe('Microsoft.Storage/storageAccounts/write');
    expect(data.httpRequest.method).toBe('PATCH');
  });
});

describe('delivery', () => {
  it('redelivers after 5xx answers: 500 twice, then 200 on the third attempt', async () => {
    receiver.script = [500, 500, 200];
    await createAs(PEOPLE.dave);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.map((r) => r.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    const ids = new Set(receiver.events().map((e) => e.id));
    expect(ids.size).toBe(1);
    const record = sim.events.recent().at(-1)!;
    expect(record).toMatchObject({ attempts: 3, outcome: 'delivered', lastResult: 200 });
  });

  it('does not retry a 400 answer, and dead-letters after maxDeliveryAttempts', async () => {
    receiver.script = [400];
    await createAs(PEOPLE.dave);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(1);
    expect(sim.events.recent().at(-1)!.outcome).toBe('rejected');

    receiver.clear();
    sim.knobs.maxDeliveryAttempts = 3;
    receiver.script = [503, 503, 503, 503];
    await createAs(PEOPLE.dave, RG.research);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(3);
    expect(sim.events.recent().at(-1)!.outcome).toBe('deadLettered');
  });

  it('drops every event at dropRate 1 and duplicates every event at duplicateRate 1', async () => {
    sim.knobs.dropRate = 1;
    await createAs(PEOPLE.dave);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(0);

    Object.assign(sim.knobs, { dropRate: 0, duplicateRate: 1 });
    const before = sim.events.delivered();
    await createAs(PEOPLE.dave, RG.research);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.events()[0]!.id).toBe(receiver.events()[1]!.id);
    expect(sim.events.delivered()).toBe(before + 2);
  });

  it('drops about the share the knob names, reproducibly for a seed', async () => {
    const run = async (): Promise<string[]> => {
      receiver.clear();
      Object.assign(sim.knobs, { dropRate: 0.5, seed: 42 });
      for (let i = 0; i < 20; i++) await writeOnce(String(i));
      await sim.events.idle();
      return requestIds();
    };
    const first = await run();
    sim.state.reset();
    const second = await run();
    expect(first.length).toBeGreaterThan(3);
    expect(first.length).toBeLessThan(17);
    expect(second).toEqual(first);
  });

  it('delays the first delivery by eventDelayMs without delaying the ARM answer', async () => {
    sim.knobs.eventDelayMs = 150;
    await createAs(PEOPLE.dave);
    // ARM has answered; the event is still waiting for its delay.
    expect(sim.events.pending()).toBe(1);
    expect(receiver.received).toHaveLength(0);
    await sim.events.idle();
    expect(receiver.received).toHaveLength(1);
  });

  it('reorders a burst of events when reorder is on', async () => {
    Object.assign(sim.knobs, { reorder: true, reorderWindowMs: 100, deliveryConcurrency: 1, seed: 3 });
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) {
      await writeOnce(`r${i}`);
      sent.push(`r${i}`);
    }
    await sim.events.idle();
    const got = requestIds();
    expect([...got].sort()).toEqual([...sent].sort());
    expect(got).not.toEqual(sent);
  });
});
