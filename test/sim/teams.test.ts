/** The simulated Teams connector through the Agents SDK's real ConnectorClient, and the /sim endpoints that record it. */
import type { ConnectorClient as ConnectorClientType } from '@microsoft/agents-hosting';
import { Activity } from '@microsoft/agents-activity';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent } from 'undici';
import { generateLocalTls } from '../../dev/tls';
import { startSimulator, type InstallResult, type Simulator, type TeamsActivityRecord } from '../../dev/sim';
import { PEOPLE, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { SEED_ASSIGNMENTS } from '../../dev/sim/seed';

/**
 * The package index pulls in `jose` (ES module only), which jest on Node 20 cannot load; the
 * connector client itself is CommonJS, so the test loads that file of the real SDK directly.
 */
async function loadConnectorClient(): Promise<typeof ConnectorClientType> {
  const file = path.join(path.dirname(require.resolve('@microsoft/agents-hosting/package.json')), 'dist/src/connector-client/connectorClient.js');
  const mod = (await import(file)) as { ConnectorClient: typeof ConnectorClientType };
  return mod.ConnectorClient;
}

interface InstallationActivity {
  type: string;
  from: { aadObjectId: string };
}

let sim: Simulator;
let agent: Agent;
const realFetch = globalThis.fetch;
let connector: ConnectorClientType;

/** The fields of /sim answers these tests read. */
interface SimAnswer {
  items: TeamsActivityRecord[];
  assignments: unknown[];
  error: { code: string; message: string };
}

async function simJson(method: string, path: string, body?: unknown): Promise<{ status: number; json: SimAnswer }> {
  const res = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const tls = await generateLocalTls();
  sim = await startSimulator({ tls });
  // The Agents SDK sends with the global fetch and no dispatcher: give every call one that trusts the local certificate.
  agent = new Agent({ connect: { ca: tls.cert } });
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => realFetch(input, { ...init, dispatcher: agent } as RequestInit)) as typeof fetch;
  const ConnectorClient = await loadConnectorClient();
  connector = ConnectorClient.createClientWithToken(sim.teams.serviceUrl, 'sim-token');
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await sim.stop();
  await agent.close();
});

beforeEach(async () => {
  await simJson('DELETE', '/sim/teams/activities');
});

describe('connector', () => {
  it('creates a personal conversation, sends, replies, updates and deletes; /sim/teams/activities records each', async () => {
    const created = await connector.createConversation({
      isGroup: false,
      bot: { id: '28:bot' },
      members: [{ id: `29:sim-${PEOPLE.bob}`, aadObjectId: PEOPLE.bob }],
      tenantId: sim.state.tenantId,
    } as never);
    expect(created.id).toBe(sim.teams.conversationIdFor(PEOPLE.bob));

    const card = Activity.fromObject({ type: 'message', text: 'Approve?', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5' } }] });
    const sent = await connector.sendToConversation(created.id, card);
    expect(sent.id).toMatch(/^\d+$/);
    const reply = await connector.replyToActivity(created.id, sent.id, Activity.fromObject({ type: 'message', text: 'a reply' }));
    const updated = await connector.updateActivity(created.id, sent.id, Activity.fromObject({ type: 'message', text: 'Approved by carol' }));
    expect(updated.id).toBe(sent.id);
    await connector.deleteActivity(created.id, reply.id);

    const { json } = await simJson('GET', '/sim/teams/activities');
    const items = json.items;
    expect(items.map((i) => [i.operation, i.activityId])).toEqual([
      ['send', sent.id],
      ['send', reply.id],
      ['update', sent.id],
      ['delete', reply.id],
    ]);
    expect(items.every((i) => i.recipientObjectId === PEOPLE.bob && i.conversationId === created.id)).toBe(true);
    expect(items[1]!.replyToId).toBe(sent.id);
    expect(items[2]!.activity!.text).toBe('Approved by carol');
    expect((items[0]!.activity!.attachments as unknown[]).length).toBe(1);
    expect(sim.state.teams.activities()).toHaveLength(4);
  });

  it('has a personal conversation for every seeded user, and 404s unknown conversations and activities', async () => {
    const conversationId = sim.teams.conversationIdFor(PEOPLE.alice);
    const sent = await connector.sendToConversation(conversationId, Activity.fromObject({ type: 'message', text: 'hello alice' }));
    const { json } = await simJson('GET', `/sim/teams/activities?recipient=${PEOPLE.alice}`);
    expect(json.items.map((i) => i.activityId)).toEqual([sent.id]);
    await expect(connector.sendToConversation('a:nope', Activity.fromObject({ type: 'message', text: 'x' }))).rejects.toThrow(/ConversationNotFound/);
    await expect(connector.updateActivity(conversationId, '12345', Activity.fromObject({ type: 'message', text: 'x' }))).rejects.toThrow(/ActivityNotFound/);
  });

  it('clears the log with DELETE /sim/teams/activities', async () => {
    await connector.sendToConversation(sim.teams.conversationIdFor(PEOPLE.carol), Activity.fromObject({ type: 'message', text: 'x' }));
    expect((await simJson('DELETE', '/sim/teams/activities')).status).toBe(204);
    expect((await simJson('GET', '/sim/teams/activities')).json.items).toEqual([]);
  });
});

describe('/sim endpoints', () => {
  it('reads and patches knobs, refusing unknown names and bad values', async () => {
    const patched = await simJson('PATCH', '/sim/knobs', { pageSize: 5, dropRate: 0.25 });
    expect(patched.status).toBe(200);
    expect(sim.knobs).toMatchObject({ pageSize: 5, dropRate: 0.25 });
    expect((await simJson('PATCH', '/sim/knobs', { dropRat: 1 })).status).toBe(400);
    const bad = await simJson('PATCH', '/sim/knobs', { dropRate: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('between 0 and 1');
    await simJson('PATCH', '/sim/knobs', { pageSize: 100, dropRate: 0 });
  });

  it('shows state and resets it', async () => {
    sim.state.seedAssignment({ scope: SUBSCRIPTION_SCOPE, role: 'Reader', principalId: PEOPLE.alice });
    expect((await simJson('GET', '/sim/state')).json.assignments).toHaveLength(SEED_ASSIGNMENTS.length + 1);
    expect((await simJson('POST', '/sim/reset')).status).toBe(200);
    expect((await simJson('GET', '/sim/state')).json.assignments).toHaveLength(SEED_ASSIGNMENTS.length);
  });

  it('installs the app for every user by posting installationUpdate activities to the bot endpoint', async () => {
    const received: InstallationActivity[] = [];
    const bot = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as InstallationActivity);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, resolve));
    try {
      const messagesUrl = `http://localhost:${(bot.address() as AddressInfo).port}/api/messages`;
      const { json } = await simJson('POST', '/sim/teams/install', { messagesUrl });
      const results = json.items as unknown as InstallResult[];
      expect(results.map((r) => r.result)).toEqual(Array(7).fill(200));
      expect(received).toHaveLength(7);
      const alice = received.find((a) => a.from.aadObjectId === PEOPLE.alice)!;
      expect(alice).toMatchObject({
        type: 'installationUpdate',
        action: 'add',
        channelId: 'msteams',
        serviceUrl: sim.teams.serviceUrl,
        conversation: { id: sim.teams.conversationIdFor(PEOPLE.alice), conversationType: 'personal', tenantId: sim.state.tenantId },
      });
    } finally {
      bot.closeAllConnections();
      await new Promise<void>((resolve) => bot.close(() => resolve()));
    }
  });
});
