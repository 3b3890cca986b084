/**
 * The simulated tenant's management group, custom role definitions and the permissions API,
 * through the real @azure/arm-authorization client (and plain HTTPS where the SDK has no call).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { RestError } from '@azure/core-rest-pipeline';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { generateLocalTls } from '../../dev/tls';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import { roleAssignmentId, roleDefinitionId } from '../../shared/domain/armIds';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, MANAGEMENT_GROUP, PEOPLE, RG, SUBSCRIPTION_SCOPE, TENANT_ROOT_GROUP_SCOPE, TRAINING_SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

let sim: Simulator;
let cert: string;
let agent: Agent;

function client(objectId: string): AuthorizationManagementClient {
  return new AuthorizationManagementClient(simCredential(objectId), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca: cert }, retryOptions: { maxRetries: 0 } });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- ARM answers of several shapes, checked by toMatchObject
type Json = any;

async function arm(method: string, path: string, caller: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sim.url}${path}${path.includes('?') ? '&' : '?'}api-version=2022-04-01`, {
    method,
    headers: { 'x-sim-caller': caller, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    dispatcher: agent,
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RestError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  const tls = await generateLocalTls();
  cert = tls.cert;
  agent = new Agent({ connect: { ca: cert } });
  sim = await startSimulator({ tls });
});

afterAll(async () => {
  await sim.stop();
  await agent.close();
});

beforeEach(() => sim.state.reset());

describe('the management group above the subscription', () => {
  it('reads mg-research with its children and descendants in ARM shape', async () => {
    const mg = await arm('GET', `${MANAGEMENT_GROUP.scope}?$expand=children`, PEOPLE.dave);
    expect(mg.status).toBe(200);
    expect(mg.body).toMatchObject({
      id: MANAGEMENT_GROUP.scope,
      type: 'Microsoft.Management/managementGroups',
      name: 'mg-research',
      properties: { tenantId: LOCAL_TENANT_ID, details: { parent: { id: TENANT_ROOT_GROUP_SCOPE } }, children: [{ type: '/subscriptions', id: SUBSCRIPTION_SCOPE }, { type: '/subscriptions', id: TRAINING_SUBSCRIPTION_SCOPE }] },
    });
    const descendants = await arm('GET', `${MANAGEMENT_GROUP.scope}/descendants`, PEOPLE.dave);
    expect(descendants.body.value).toEqual(
      [SUBSCRIPTION_SCOPE, TRAINING_SUBSCRIPTION_SCOPE].map((id) => expect.objectContaining({ id, type: 'Microsoft.Management/managementGroups/subscriptions', properties: expect.objectContaining({ parent: { id: MANAGEMENT_GROUP.scope } }) })),
    );
    expect((await arm('GET', '/providers/Microsoft.Management/managementGroups/mg-nope', PEOPLE.dave)).status).toBe(404);
  });

  it('an assignment at the management group is listed at the subscription with its own scope, applies below, and raises no subscription event', async () => {
    const name = randomUUID();
    const seeded = sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'Owner', principalId: PEOPLE.dave, name });
    expect(seeded.properties.roleDefinitionId).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`);
    // dave's Owner at the group lets him write at the group itself (his subscription Owner does not).
    const mallory = randomUUID();
    const put = await arm('PUT', `${MANAGEMENT_GROUP.scope}/providers/Microsoft.Authorization/roleAssignments/${mallory}`, PEOPLE.dave, {
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: PEOPLE.mallory },
    });
    expect(put.status).toBe(201);
    expect(put.body.properties.scope).toBe(MANAGEMENT_GROUP.scope);
    expect(sim.events.recent().filter((r) => r.subject.includes(mallory))).toEqual([]);

    const listed = [];
    for await (const a of client(PEOPLE.accessManager).roleAssignments.listForScope(SUBSCRIPTION_SCOPE)) listed.push(a);
    expect(listed.find((a) => a.name === mallory)).toMatchObject({ scope: MANAGEMENT_GROUP.scope, principalId: PEOPLE.mallory });
    const atScope = [];
    for await (const a of client(PEOPLE.accessManager).roleAssignments.listForScope(RG.weights, { filter: 'atScope()' })) atScope.push(a);
    expect(atScope.map((a) => a.name)).toContain(mallory);

    // Someone without rights at the group cannot write there, though Owner of the subscription.
    sim.state.assignments.delete(seeded.id);
    const refused = await arm('PUT', `${MANAGEMENT_GROUP.scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, PEOPLE.dave, {
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: PEOPLE.mallory },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AuthorizationFailed');
  });
});

describe('custom role definitions', () => {
  const guid = randomUUID();
  const definition = {
    roleName: 'Weights Snapshot Operator',
    description: 'Reads blobs and manages role assignments (deliberately privileged).',
    roleType: 'CustomRole',
    permissions: [{ actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read', 'Microsoft.Authorization/roleAssignments/*'], notActions: [], dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'], notDataActions: [] }],
    assignableScopes: [SUBSCRIPTION_SCOPE],
  };

  it('is created with PUT, read back, listed, assignable at its scopes, and used by authorisation', async () => {
    const dave = client(PEOPLE.dave);
    const created = await dave.roleDefinitions.createOrUpdate(SUBSCRIPTION_SCOPE, guid, definition);
    expect(created).toMatchObject({ id: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, guid), name: guid, roleName: 'Weights Snapshot Operator', roleType: 'CustomRole', assignableScopes: [SUBSCRIPTION_SCOPE] });
    expect((await dave.roleDefinitions.get(RG.weights, guid)).roleName).toBe('Weights Snapshot Operator');
    const listed = [];
    for await (const r of dave.roleDefinitions.list(SUBSCRIPTION_SCOPE, { filter: "type eq 'CustomRole'" })) listed.push(r.name);
    expect(listed).toEqual([guid]);

    const name = randomUUID();
    await dave.roleAssignments.create(RG.weights, name, { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, guid), principalId: PEOPLE.mallory });
    // mallory now holds roleAssignments/* at rg-weights through the custom role: she may assign there.
    const byMallory = await arm('PUT', `${RG.weights}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, PEOPLE.mallory, {
      properties: { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, READER), principalId: PEOPLE.alice },
    });
    expect(byMallory.status).toBe(201);
    // In use: it cannot be deleted until its assignments are gone.
    expect((await restError(dave.roleDefinitions.delete(SUBSCRIPTION_SCOPE, guid))).code).toBe('RoleDefinitionHasAssignments');
    await dave.roleAssignments.deleteById(roleAssignmentId(RG.weights, name));
    await dave.roleDefinitions.delete(SUBSCRIPTION_SCOPE, guid);
    expect((await restError(dave.roleDefinitions.get(SUBSCRIPTION_SCOPE, guid))).statusCode).toBe(404);
  });

  it('an assignment outside the role\'s assignable scopes is refused', async () => {
    const dave = client(PEOPLE.dave);
    const narrow = randomUUID();
    await dave.roleDefinitions.createOrUpdate(RG.research, narrow, { ...definition, roleName: 'Research only', assignableScopes: [RG.research] });
    const outside = await restError(dave.roleAssignments.create(RG.weights, randomUUID(), { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, narrow), principalId: PEOPLE.mallory }));
    expect(outside.code).toBe('InvalidRoleAssignmentScope');
  });
});

describe('the permissions API', () => {
  it("answers the caller's effective permissions at a scope, one entry per applying assignment, management groups included", async () => {
    const app = await arm('GET', `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/permissions`, PEOPLE.accessManager);
    expect(app.status).toBe(200);
    // Its three roles at the subscription: User Access Administrator, and locally Contributor and Key Vault Reader for guardrails.
    expect(app.body.value).toHaveLength(3);
    expect(app.body.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], notActions: [] }),
        expect.objectContaining({ actions: ['*'], notActions: expect.arrayContaining(['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete']) }),
      ]),
    );
    const sdk = [];
    for await (const p of client(PEOPLE.accessManager).permissions.listForResourceGroup('rg-weights')) sdk.push(p);
    expect(sdk).toHaveLength(3);

    expect((await arm('GET', `${RG.weights}/providers/Microsoft.Authorization/permissions`, PEOPLE.mallory)).body.value).toEqual([]);
    sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'Reader', principalId: PEOPLE.mallory });
    const inherited = await arm('GET', `${RG.weights}/providers/Microsoft.Authorization/permissions`, PEOPLE.mallory);
    expect(inherited.body.value).toEqual([expect.objectContaining({ actions: ['*/read'] })]);
    // At the group itself too; not above it.
    expect((await arm('GET', `${MANAGEMENT_GROUP.scope}/providers/Microsoft.Authorization/permissions`, PEOPLE.mallory)).body.value).toHaveLength(1);
    expect((await arm('GET', `${MANAGEMENT_GROUP.scope}/providers/Microsoft.Authorization/permissions`, PEOPLE.accessManager)).body.value).toEqual([]);
  });
});
