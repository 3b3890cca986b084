/** The simulated ARM through the real @azure/arm-authorization client over HTTPS. */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { RestError } from '@azure/core-rest-pipeline';
import { randomUUID } from 'node:crypto';
import { generateLocalTls } from '../../dev/tls';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import { roleAssignmentId, roleDefinitionId } from '../../shared/domain/armIds';
import { findBuiltInRole } from '../../shared/domain/roles';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { APP_GUARDRAILS_ASSIGNMENT_NAME, APP_SECRET_METADATA_ASSIGNMENT_NAME, SEED_ASSIGNMENTS } from '../../dev/sim/seed';

const READER = roleDefinitionId(LOCAL_SUBSCRIPTION_ID, findBuiltInRole('Storage Blob Data Reader')!.guid);
const CONTRIBUTOR = roleDefinitionId(LOCAL_SUBSCRIPTION_ID, findBuiltInRole('Storage Blob Data Contributor')!.guid);

let sim: Simulator;
let cert: string;

function client(objectId: string, maxRetries?: number): AuthorizationManagementClient {
  return new AuthorizationManagementClient(simCredential(objectId), LOCAL_SUBSCRIPTION_ID, {
    endpoint: sim.url,
    tlsOptions: { ca: cert },
    ...(maxRetries !== undefined ? { retryOptions: { maxRetries } } : {}),
  });
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
  sim = await startSimulator({ tls });
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.state.reset();
  Object.assign(sim.knobs, { pageSize: 100, armFailureRate: 0 });
});

describe('role assignments', () => {
  it('creates, reads (by scope and by id), lists and deletes an assignment as the app', async () => {
    const app = client(PEOPLE.accessManager);
    const name = randomUUID();
    const created = await app.roleAssignments.create(RG.weights, name, { roleDefinitionId: READER, principalId: PEOPLE.alice, principalType: 'User' });
    expect(created).toMatchObject({
      id: roleAssignmentId(RG.weights, name),
      name,
      type: 'Microsoft.Authorization/roleAssignments',
      scope: RG.weights,
      roleDefinitionId: READER,
      principalId: PEOPLE.alice,
      principalType: 'User',
      createdBy: PEOPLE.accessManager,
    });
    expect(created.createdOn).toBeInstanceOf(Date);

    const got = await app.roleAssignments.get(RG.weights, name);
    expect(got.id).toBe(created.id);
    const byId = await app.roleAssignments.getById(created.id!);
    expect(byId.principalId).toBe(PEOPLE.alice);
    const byIdOtherCase = await app.roleAssignments.getById(created.id!.replace('rg-weights', 'RG-WEIGHTS').replace(name, name.toUpperCase()));
    expect(byIdOtherCase.id).toBe(created.id);

    const deleted = await app.roleAssignments.delete(RG.weights, name);
    expect(deleted.id).toBe(created.id);
    const again = await app.roleAssignments.delete(RG.weights, name);
    expect(again.id).toBeUndefined();
    expect(sim.state.assignments.has(created.id!)).toBe(false);
  });

  it('answers 404 RoleAssignmentNotFound for an unknown assignment', async () => {
    const err = await restError(client(PEOPLE.dave).roleAssignments.get(RG.weights, randomUUID()));
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('RoleAssignmentNotFound');
  });

  it('refuses a second assignment of the same role to the same principal at the same scope (409 RoleAssignmentExists)', async () => {
    const dave = client(PEOPLE.dave);
    const first = randomUUID();
    await dave.roleAssignments.create(RG.research, first, { roleDefinitionId: READER, principalId: PEOPLE.bob });
    const err = await restError(dave.roleAssignments.create(RG.research, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.bob }));
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('RoleAssignmentExists');
    expect(err.message).toContain('The role assignment already exists.');
    expect(err.message).toContain(first.replace(/-/g, ''));
  });

  it('treats a repeated PUT of the same assignment as success, and a changed one as 409 RoleAssignmentUpdateNotPermitted', async () => {
    const dave = client(PEOPLE.dave);
    const name = randomUUID();
    await dave.roleAssignments.create(RG.research, name, { roleDefinitionId: READER, principalId: PEOPLE.bob });
    const again = await dave.roleAssignments.create(RG.research, name, { roleDefinitionId: READER, principalId: PEOPLE.bob });
    expect(again.name).toBe(name);
    const err = await restError(dave.roleAssignments.create(RG.research, name, { roleDefinitionId: CONTRIBUTOR, principalId: PEOPLE.bob }));
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('RoleAssignmentUpdateNotPermitted');
  });

  it('refuses mallory, who holds no role that can write assignments (403 AuthorizationFailed)', async () => {
    const err = await restError(client(PEOPLE.mallory).roleAssignments.create(RG.weights, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.mallory }));
    expect(err.statusCode).toBe(403);
    expect(err.code).toBe('AuthorizationFailed');
    expect(err.message).toContain('Microsoft.Authorization/roleAssignments/write');
    expect(sim.state.assignments.size).toBe(SEED_ASSIGNMENTS.length);
  });

  it('lets a caller write through a role held by one of its groups, and not through a Contributor role', async () => {
    sim.state.seedAssignment({ scope: RG.sandbox, role: 'Role Based Access Control Administrator', principalId: '00000000-0000-4000-8000-000000000022' });
    sim.state.seedAssignment({ scope: RG.sandbox, role: 'Contributor', principalId: PEOPLE.alice });
    const erin = await client(PEOPLE.erin).roleAssignments.create(RG.sandbox, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.alice });
    expect(erin.createdBy).toBe(PEOPLE.erin);
    const err = await restError(client(PEOPLE.alice).roleAssignments.create(RG.sandbox, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.bob }));
    expect(err.statusCode).toBe(403);
  });

  it('validates the scope, the role definition and the principal like ARM', async () => {
    const dave = client(PEOPLE.dave);
    const missingRg = await restError(dave.roleAssignments.create(`${SUBSCRIPTION_SCOPE}/resourceGroups/rg-nope`, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.bob }));
    expect([missingRg.statusCode, missingRg.code]).toEqual([404, 'ResourceGroupNotFound']);
    const unknownRole = await restError(
      dave.roleAssignments.create(RG.weights, randomUUID(), { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, randomUUID()), principalId: PEOPLE.bob }),
    );
    expect([unknownRole.statusCode, unknownRole.code]).toEqual([400, 'RoleDefinitionDoesNotExist']);
    const unknownPrincipal = await restError(dave.roleAssignments.create(RG.weights, randomUUID(), { roleDefinitionId: READER, principalId: randomUUID() }));
    expect([unknownPrincipal.statusCode, unknownPrincipal.code]).toEqual([400, 'PrincipalNotFound']);
    const wrongType = await restError(dave.roleAssignments.create(RG.weights, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.bob, principalType: 'Group' }));
    expect([wrongType.statusCode, wrongType.code]).toEqual([400, 'UnmatchedPrincipalType']);
    const badName = await restError(dave.roleAssignments.create(RG.weights, 'not-a-guid', { roleDefinitionId: READER, principalId: PEOPLE.bob }));
    expect([badName.statusCode, badName.code]).toEqual([400, 'InvalidRoleAssignmentId']);
  });

  it('accepts resource and container scopes of the seed', async () => {
    const container = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints`;
    const a = await client(PEOPLE.dave).roleAssignments.create(container, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.alice });
    expect(a.scope).toBe(container);
    const err = await restError(
      client(PEOPLE.dave).roleAssignments.create(`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stnope`, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.alice }),
    );
    expect([err.statusCode, err.code]).toEqual([404, 'ResourceNotFound']);
  });

  it('lists at, above and below a scope; atScope() drops those below; principalId filters', async () => {
    const dave = client(PEOPLE.dave);
    const account = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
    await dave.roleAssignments.create(account, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.alice });
    await dave.roleAssignments.create(RG.research, randomUUID(), { roleDefinitionId: READER, principalId: PEOPLE.alice });

    const collect = async (scope: string, filter?: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const a of dave.roleAssignments.listForScope(scope, filter ? { filter } : {})) out.push(`${a.principalId}@${a.scope}`);
      return out.sort();
    };
    const atRg = await collect(RG.weights);
    expect(atRg).toContain(`${PEOPLE.alice}@${account}`);
    expect(atRg).toContain(`${PEOPLE.dave}@${SUBSCRIPTION_SCOPE}`);
    expect(atRg).not.toContain(`${PEOPLE.alice}@${RG.research}`);
    const atScope = await collect(RG.weights, 'atScope()');
    expect(atScope).not.toContain(`${PEOPLE.alice}@${account}`);
    // The seed's assignments in the training subscription are not above rg-weights.
    expect(atScope).toHaveLength(SEED_ASSIGNMENTS.filter((a) => a.scope === SUBSCRIPTION_SCOPE).length);
    const alice = await collect(SUBSCRIPTION_SCOPE, `principalId eq '${PEOPLE.alice}'`);
    expect(alice).toEqual([`${PEOPLE.alice}@${RG.research}`, `${PEOPLE.alice}@${account}`].sort());
  });

  it('pages listings with nextLink', async () => {
    sim.knobs.pageSize = 7;
    for (let i = 0; i < 30; i++) sim.state.seedAssignment({ scope: RG.sandbox, role: i % 2 ? 'Reader' : 'Storage Blob Data Reader', principalId: i % 3 ? PEOPLE.alice : PEOPLE.bob, name: randomUUID() });
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const page of client(PEOPLE.dave).roleAssignments.listForScope(SUBSCRIPTION_SCOPE).byPage()) {
      pages.push(page.length);
      for (const a of page) ids.add(a.id!);
    }
    expect(ids.size).toBe(30 + SEED_ASSIGNMENTS.filter((a) => a.scope === SUBSCRIPTION_SCOPE).length);
    expect(pages).toEqual([7, 7, 7, 7, 7]);
  });

  it('keeps the filter across nextLink pages', async () => {
    sim.knobs.pageSize = 2;
    for (let i = 0; i < 5; i++) sim.state.seedAssignment({ scope: RG.sandbox, role: 'Reader', principalId: PEOPLE.alice, name: randomUUID(), description: String(i) });
    sim.state.seedAssignment({ scope: RG.sandbox, role: 'Owner', principalId: PEOPLE.bob });
    const found: string[] = [];
    for await (const a of client(PEOPLE.dave).roleAssignments.listForScope(RG.sandbox, { filter: `principalId eq '${PEOPLE.alice}'` })) found.push(a.principalId!);
    expect(found).toEqual(Array(5).fill(PEOPLE.alice));
  });

  it('has the seeded baseline assignments', async () => {
    const dave = client(PEOPLE.dave);
    const everything: string[] = [];
    for await (const a of dave.roleAssignments.listForSubscription()) everything.push(a.name!);
    expect(everything.sort()).toEqual([APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, APP_GUARDRAILS_ASSIGNMENT_NAME, APP_SECRET_METADATA_ASSIGNMENT_NAME].sort());
    const atRoot = await restError(dave.roleAssignments.getById(`/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`));
    expect(atRoot.statusCode).toBe(404);
    const baseline = await dave.roleAssignments.get(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME);
    expect(baseline.principalId).toBe(PEOPLE.dave);
    expect(baseline.roleDefinitionId).toBe(roleDefinitionId(LOCAL_SUBSCRIPTION_ID, findBuiltInRole('Owner')!.guid));
    const app = await dave.roleAssignments.get(SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME);
    expect(app.principalType).toBe('ServicePrincipal');
  });

  it('refuses an undecodable bearer token with 401', async () => {
    const res = new AuthorizationManagementClient({ getToken: async () => ({ token: 'garbage', expiresOnTimestamp: Date.now() + 60_000 }) }, LOCAL_SUBSCRIPTION_ID, {
      endpoint: sim.url,
      tlsOptions: { ca: cert },
    });
    const err = await restError(res.roleAssignments.get(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME));
    expect([err.statusCode, err.code]).toEqual([401, 'InvalidAuthenticationToken']);
  });
});

describe('role definitions', () => {
  it('gets a built-in role by GUID at a scope and by id, and lists by roleName', async () => {
    const dave = client(PEOPLE.dave);
    const guid = findBuiltInRole('Storage Blob Data Reader')!.guid;
    const def = await dave.roleDefinitions.get(SUBSCRIPTION_SCOPE, guid);
    expect(def).toMatchObject({ id: READER, name: guid, roleName: 'Storage Blob Data Reader', roleType: 'BuiltInRole', assignableScopes: ['/'] });
    expect(def.permissions?.[0]?.dataActions).toContain('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read');
    const byId = await dave.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
    expect(byId.roleName).toBe('Storage Blob Data Reader');
    const listed: string[] = [];
    for await (const d of dave.roleDefinitions.list(RG.weights, { filter: "roleName eq 'Owner'" })) listed.push(d.roleName!);
    expect(listed).toEqual(['Owner']);
    const all: string[] = [];
    for await (const d of dave.roleDefinitions.list(SUBSCRIPTION_SCOPE)) all.push(d.roleName!);
    expect(all.length).toBeGreaterThan(10);
    const err = await restError(dave.roleDefinitions.get(SUBSCRIPTION_SCOPE, randomUUID()));
    expect([err.statusCode, err.code]).toEqual([404, 'RoleDefinitionDoesNotExist']);
  });
});

describe('resources', () => {
  it('answers the subscription, resource groups and resources of the seed', async () => {
    const sub = await armJson('GET', `${SUBSCRIPTION_SCOPE}?api-version=2022-12-01`);
    expect(sub.body).toMatchObject({ subscriptionId: LOCAL_SUBSCRIPTION_ID, state: 'Enabled' });
    const rg = await armJson('GET', `//${RG.research.slice(1)}?api-version=2021-04-01`);
    expect(rg.body).toMatchObject({ name: 'rg-research', type: 'Microsoft.Resources/resourceGroups' });
    const vault = await armJson('GET', `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research?api-version=2023-07-01`);
    // vaultUri is where the vault's simulated data plane listens (no simulator server started here: its Azure URI).
    expect(vault.body).toMatchObject({ type: 'Microsoft.KeyVault/vaults', properties: { enableRbacAuthorization: true, publicNetworkAccess: 'Disabled' } });
    const listed = await armJson('GET', `${SUBSCRIPTION_SCOPE}/resources?api-version=2021-04-01`);
    expect((listed.body.value as Array<{ name: string }>).map((r) => r.name).sort()).toEqual(['kv-research', 'stsandbox', 'stscratch', 'stweights']);
    const missing = await armJson('GET', `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-nope?api-version=2021-04-01`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'ResourceGroupNotFound', message: "Resource group 'rg-nope' could not be found." } });
  });

  it('merges a vault PATCH as Owner, refuses it to mallory, and requires api-version', async () => {
    const vault = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;
    const patched = await armJson('PATCH', `${vault}?api-version=2023-07-01`, { properties: { publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Allow' } } });
    expect(patched.status).toBe(200);
    // networkAcls is replaced whole by a write (clients send the complete rule set).
    expect(patched.body.properties).toMatchObject({ publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Allow' }, enableSoftDelete: true });
    const refused = await armJson('PATCH', `${vault}?api-version=2023-07-01`, { properties: { enableRbacAuthorization: false } }, PEOPLE.mallory);
    expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([403, 'AuthorizationFailed']);
    const noVersion = await armJson('GET', vault);
    expect([noVersion.status, (noVersion.body.error as { code: string }).code]).toEqual([400, 'MissingApiVersionParameter']);
  });
});

describe('fault injection', () => {
  it('answers 429 with Retry-After to the share of calls the knob names, and the SDK sees it', async () => {
    Object.assign(sim.knobs, { armFailureRate: 1, armFailureStatus: 429, retryAfterSeconds: 0 });
    const before = sim.state.stats.armInjectedFailures;
    const err = await restError(client(PEOPLE.dave, 0).roleAssignments.get(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME));
    expect(err.statusCode).toBe(429);
    expect(err.response?.headers.get('retry-after')).toBe('0');
    expect(sim.state.stats.armInjectedFailures).toBe(before + 1);
  });

  it('lets the SDK retry through throttling to success', async () => {
    Object.assign(sim.knobs, { armFailureRate: 0.5, armFailureStatus: 429, retryAfterSeconds: 0, seed: 7 });
    const dave = client(PEOPLE.dave);
    for (let i = 0; i < 10; i++) await dave.roleAssignments.get(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME);
    expect(sim.state.stats.armInjectedFailures).toBeGreaterThan(0);
  });

  it('holds every ARM call for armLatencyMs (PATCH /sim/knobs) and still answers it; refuses bad values', async () => {
    expect((await armJson('PATCH', '/sim/knobs', { armLatencyMs: 300 })).status).toBe(200);
    try {
      expect(sim.knobs.armLatencyMs).toBe(300);
      const order: string[] = [];
      const read = client(PEOPLE.dave)
        .roleAssignments.get(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME)
        .then((a) => (order.push('arm'), a));
      // Started before the call reaches the simulator, for half the latency: the held call can only answer after it.
      const timer = new Promise<void>((resolve) => setTimeout(resolve, 150)).then(() => order.push('timer'));
      const [assignment] = await Promise.all([read, timer]);
      expect(assignment.name).toBe(DAVE_BASELINE_ASSIGNMENT_NAME);
      expect(order).toEqual(['timer', 'arm']);
    } finally {
      sim.knobs.armLatencyMs = 0;
    }
    for (const bad of [-1, 1.5, 20_000, '5']) expect((await armJson('PATCH', '/sim/knobs', { armLatencyMs: bad })).status).toBe(400);
    expect(sim.knobs.armLatencyMs).toBe(0);
  });

  it('never injects faults into /sim endpoints', async () => {
    sim.knobs.armFailureRate = 1;
    const res = await fetchSim('/sim/knobs');
    expect(res.armFailureRate).toBe(1);
  });
});

async function armJson(method: string, path: string, body?: unknown, caller: string = PEOPLE.dave): Promise<{ status: number; body: Record<string, unknown> }> {
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ connect: { ca: cert } });
  try {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-sim-caller': caller },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher,
    } as RequestInit);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    await dispatcher.close();
  }
}

async function fetchSim(path: string): Promise<Record<string, unknown>> {
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ connect: { ca: cert } });
  try {
    const res = await fetch(`${sim.url}${path}`, { dispatcher } as RequestInit);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    await dispatcher.close();
  }
}
