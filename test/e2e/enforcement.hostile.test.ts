/**
 * Malformed and hostile deliveries to the Event Grid webhook, property-based: random JSON,
 * wrong types in data, huge strings, control characters, evidence-only bodies, CloudEvents with
 * bad fields, unknown function names. Each is refused (400, or 404 for an unknown function)
 * without writing anything, and the host keeps serving: a valid event afterwards still revokes.
 *
 * Every hostile body is derived from a VALID event about a real rogue assignment that sits in
 * the simulator unannounced, so a body wrongly accepted would revoke it and show up as a write.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../dev/localStack';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { RESOURCE_WRITE_SUCCESS, toArmEvent, type EventGridEvent } from '../../dev/sim/events/armEvent';
import { PEOPLE, RG, LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID } from '../../dev/tenant';
import { assignOutOfBand, closeSimAgents, decisionsFor, deliver, exists, ROLE, settle, startEnforcementStack, until, type RogueAssignment } from './enforcementHelpers';

let stack: LocalStack;
let sleeper: RogueAssignment;

/** A rogue assignment nobody told AccessManager about (made in beforeAll): its event is ours to forge. */
const SLEEPER_NAME = randomUUID();
const SLEEPER_ID = roleAssignmentId(RG.weights, SLEEPER_NAME);

/** The valid write event about the sleeper, as ARM would send it: every hostile body starts from it. */
const valid = toArmEvent({
  id: randomUUID(),
  eventType: RESOURCE_WRITE_SUCCESS,
  eventTime: new Date(),
  subscriptionId: LOCAL_SUBSCRIPTION_ID,
  tenantId: LOCAL_TENANT_ID,
  resourceUri: SLEEPER_ID,
  operationName: 'Microsoft.Authorization/roleAssignments/write',
  resourceProvider: 'Microsoft.Authorization',
  evidence: {
    role: 'Owner',
    roleAssignmentScope: `/subscriptions/${LOCAL_SUBSCRIPTION_ID}`,
    roleAssignmentId: '0b5e1d9c7a2f4e3b8c6d1a0f9e8d7c6b',
    roleDefinitionId: '8e3af657a8ff443ca75c2fe8c4bcb635',
    principalId: PEOPLE.dave,
    principalType: 'User',
  },
  claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': PEOPLE.dave, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'dave@contoso.test' },
  correlationId: randomUUID(),
  clientRequestId: randomUUID(),
  clientIpAddress: '203.0.113.7',
  method: 'PUT',
  pathAndQuery: `${SLEEPER_ID}?api-version=2022-04-01`,
}) as unknown as EventGridEvent<Record<string, unknown>>;

beforeAll(async () => {
  stack = await startEnforcementStack();
  sleeper = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory, events: false, name: SLEEPER_NAME });
  await settle(stack);
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

// ------------------------------------------------------------------------------------------
// What "no write" means: the same documents in every container and the same live assignments.

async function footprint(): Promise<Record<string, unknown>> {
  const counts: Record<string, unknown> = {};
  for (const name of ['requests', 'grants', 'coverage', 'audit', 'state'] as const) {
    const { resources } = await stack.containers[name].items.query<string>('SELECT VALUE c.id FROM c').fetchAll();
    counts[name] = resources.sort();
  }
  counts.assignments = [...stack.sim.state.assignments.keys()].sort();
  return counts;
}

// ------------------------------------------------------------------------------------------
// Generators.

const clone = <T>(v: T): T => structuredClone(v);

/** Anything but a string (the fields below must be strings). */
const notAString = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }));

/** Characters no id may hold: C0/C1 controls, DEL, bidi overrides and line separators. */
const controlChar = fc.constantFrom('\u0000', '\u0001', '\u0007', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u009b', '\u202e', '\u2066', '\u2028', '\u200f');

/** `text` with one hostile character inserted somewhere. */
const withControlChar = (text: string) => fc.tuple(fc.nat({ max: text.length }), controlChar).map(([at, c]) => text.slice(0, at) + c + text.slice(at));

const hugeText = (min: number) => fc.integer({ min, max: min * 40 }).map((n) => 'a'.repeat(n));

type Body = { body: unknown; contentType?: string; raw?: boolean; what: string };

/** Random JSON values (no event can come out of these) and text that is not JSON at all. */
const randomJson: fc.Arbitrary<Body> = fc.oneof(
  fc.jsonValue().map((v) => ({ body: v, what: 'random JSON' })),
  fc.array(fc.jsonValue(), { maxLength: 4 }).map((v) => ({ body: v, what: 'random JSON array' })),
  fc.string().map((t) => ({ body: `{${t}`, raw: true, what: 'not JSON' })),
  fc.constant({ body: '', raw: true, what: 'empty body' }),
);

/** The valid event with one validated field of data given a wrong type. */
const wrongTypesInData: fc.Arbitrary<Body> = fc
  .tuple(fc.constantFrom('operationName', 'resourceUri', 'status', 'subscriptionId'), notAString)
  .map(([field, value]) => {
    const e = clone(valid);
    e.data[field] = value;
    if (field === 'resourceUri') e.subject = '';
    return { body: [e], what: `data.${field} = ${JSON.stringify(value)}` };
  });

const wrongShapeOfData: fc.Arbitrary<Body> = fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.string(), fc.integer(), fc.boolean()).map((data) => {
  const e = clone(valid) as EventGridEvent<unknown>;
  e.data = data;
  return { body: [e], what: `data = ${JSON.stringify(data).slice(0, 40)}` };
});

/** Over-long ids, subjects, resource ids and operation names (a body of up to ~800 KB; the host takes 1 MiB). */
const hugeStrings: fc.Arbitrary<Body> = fc.oneof(
  hugeText(257).map((t) => {
    const e = clone(valid);
    e.id = t;
    return { body: [e], what: `id of ${t.length} characters` };
  }),
  hugeText(2049).map((t) => {
    const e = clone(valid);
    e.subject = `${valid.subject}/${t}`;
    e.data.resourceUri = e.subject;
    return { body: [e], what: `resource id of ${t.length} characters` };
  }),
  hugeText(513).map((t) => {
    const e = clone(valid);
    e.data.operationName = `Microsoft.Authorization/roleAssignments/write${t}`;
    return { body: [e], what: `operationName of ${t.length} characters` };
  }),
  fc.integer({ min: 600_000, max: 800_000 }).map((n) => {
    const e = clone(valid);
    e.subject = `${valid.subject}${'x'.repeat(n)}`;
    return { body: [e], what: `subject of ${n} characters` };
  }),
);

const controlChars: fc.Arbitrary<Body> = fc.oneof(
  withControlChar(valid.id).map((id) => ({ body: [{ ...clone(valid), id }], what: 'control character in id' })),
  withControlChar(valid.subject).map((subject) => ({ body: [{ ...clone(valid), subject, data: { ...clone(valid.data), resourceUri: subject } }], what: 'control character in the resource id' })),
  withControlChar(valid.data.operationName as string).map((op) => ({ body: [{ ...clone(valid), data: { ...clone(valid.data), operationName: op } }], what: 'control character in operationName' })),
  withControlChar(valid.topic).map((topic) => ({ body: [{ ...clone(valid), topic }], what: 'control character in topic' })),
  withControlChar(valid.eventType).map((eventType) => ({ body: [{ ...clone(valid), eventType }], what: 'control character in eventType' })),
);

/**
 * Only the caller's authorisation evidence (the trap of DESIGN.md: it names the CALLER's
 * assignment, never the new one): no resource id, no operation, at most an empty subject.
 */
const evidenceOnly: fc.Arbitrary<Body> = fc
  .record({ principalId: fc.constantFrom(PEOPLE.mallory, PEOPLE.dave, randomUUID()), keepOperation: fc.boolean(), cloud: fc.boolean() })
  .map(({ principalId, keepOperation, cloud }) => {
    const evidence = { ...(valid.data.authorization as { evidence: Record<string, string> }).evidence, principalId };
    const data: Record<string, unknown> = { authorization: { evidence } };
    if (keepOperation) data.operationName = valid.data.operationName;
    else data.resourceUri = valid.data.resourceUri;
    const e = { ...clone(valid), subject: keepOperation ? '' : valid.subject, data };
    if (!cloud) return { body: [e], what: `evidence only (${keepOperation ? 'no resource id' : 'no operationName'})` };
    return { body: { specversion: '1.0', id: e.id, source: e.topic, type: e.eventType, subject: e.subject || undefined, time: e.eventTime, data }, contentType: 'application/cloudevents+json', what: 'CloudEvent with evidence only' };
  });

/** The valid event as a CloudEvent, with one field broken. */
function cloudEvent(): Record<string, unknown> {
  return { specversion: '1.0', id: valid.id, source: valid.topic, subject: valid.subject, type: valid.eventType, time: valid.eventTime, datacontenttype: 'application/json', data: clone(valid.data) };
}
const badCloudEvents: fc.Arbitrary<Body> = fc
  .oneof(
    fc.oneof(fc.constantFrom('0.3', '1', '2.0', '', '1.0 '), notAString).map((v) => ['specversion', v] as const),
    fc.oneof(fc.constant(''), notAString, hugeText(257)).map((v) => ['id', v] as const),
    fc.oneof(fc.constant(''), notAString).map((v) => ['source', v] as const),
    fc.oneof(fc.constant(''), notAString).map((v) => ['type', v] as const),
    fc.oneof(fc.constantFrom('yesterday', '2026-13-40T99:00:00Z', '2026-11-20T10:00:00'), fc.integer()).map((v) => ['time', v] as const),
    fc.oneof(fc.array(fc.integer(), { maxLength: 3 }), fc.string(), fc.integer()).map((v) => ['data', v] as const),
    fc.constantFrom('%%%not base64%%%', Buffer.from('not json').toString('base64')).map((v) => ['data_base64', v] as const),
    fc.constant(['missing', 'id'] as const),
    fc.constant(['missing', 'source'] as const),
  )
  .chain(([field, value]) =>
    fc.boolean().map((batch) => {
      const e = cloudEvent();
      if (field === 'missing') delete e[value as string];
      else if (field === 'data_base64') e.data_base64 = value; // with data still present, or not JSON: refused either way
      else e[field] = value;
      return { body: batch ? [e] : e, contentType: batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json', what: `CloudEvent ${field} ${JSON.stringify(value).slice(0, 40)}` };
    }),
  );

const hostileBodies = fc.oneof(randomJson, wrongTypesInData, wrongShapeOfData, hugeStrings, controlChars, evidenceOnly, badCloudEvents);

// ------------------------------------------------------------------------------------------

describe('hostile deliveries', () => {
  let before: Record<string, unknown>;
  beforeAll(async () => {
    before = await footprint();
  });

  it('armEvents answers 400 to every malformed or hostile body', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBodies, async ({ body, contentType, raw, what }) => {
        const res = await deliver(stack, body, { raw, headers: contentType ? { 'content-type': contentType } : {} });
        if (res.status !== 400) throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        const code = typeof res.body === 'object' ? res.body?.error?.code : undefined;
        expect(['InvalidEvent', 'InvalidEventGridRequest']).toContain(code);
      }),
      { numRuns: 300, seed: 20261127 },
    );
  });

  it('keyVaultEvents and storageEvents refuse bodies that are not events at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(randomJson, badCloudEvents), fc.constantFrom('keyVaultEvents', 'storageEvents'), async ({ body, contentType, raw, what }, functionName) => {
        const res = await deliver(stack, body, { raw, functionName, headers: contentType ? { 'content-type': contentType } : {} });
        if (res.status !== 400) throw new Error(`${functionName} ${what}: answered ${res.status}`);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('an unknown function name is 404, a missing one 400, whatever the body', async () => {
    const known = new Set(['armevents', 'keyvaultevents', 'storageevents']);
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !known.has(n.toLowerCase())), fc.oneof(fc.constant({ body: [valid] } as Body), randomJson), async (functionName, { body, raw }) => {
        const res = await deliver(stack, body, { raw, functionName });
        expect(res.status).toBe(404);
      }),
      { numRuns: 40, seed: 11 },
    );
    expect((await deliver(stack, [valid], { functionName: '' })).status).toBe(400);
  });

  it('wrote nothing: the same documents in every container and the same live assignments', async () => {
    await settle(stack);
    expect(await footprint()).toEqual(before);
    expect(exists(stack, sleeper.id)).toBe(true);
  });

  it('keeps serving: the valid event after the barrage still revokes', async () => {
    // As Event Grid does, a delivery our side failed (5xx: a store timeout on a loaded machine) is
    // delivered again; what matters is that it is revoked, and recorded exactly once.
    let res = await deliver(stack, [valid]);
    for (let retry = 0; retry < 3 && res.status >= 500; retry++) res = await deliver(stack, [valid]);
    expect(res.status).toBe(200);
    await until(() => !exists(stack, sleeper.id), 'the sleeper to be revoked', 2000);
    await settle(stack);
    expect(await decisionsFor(stack, sleeper.id, RG.weights)).toEqual({ 'assignment.revoked': 1 });
  });
});
