/**
 * The simulated role catalog through the real @azure/arm-authorization client: the full built-in
 * catalog, custom role definitions (PUT, GET, list by type, DELETE, with ARM's refusals and events),
 * and the provider operations metadata; the domain's short list of known roles agrees with it.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { RestError } from '@azure/core-rest-pipeline';
import { randomUUID } from 'node:crypto';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import { builtInSimRole } from '../../dev/sim/arm/roleCatalog';
import { generateLocalTls } from '../../dev/tls';
import { LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { BUILT_IN_ROLES } from '../../shared/domain/roles';

let sim: Simulator;
let cert: string;
const client = (objectId: string) => new AuthorizationManagementClient(simCredential(objectId), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca: cert }, retryOptions: { maxRetries: 0 } });

async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RestError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

const checkpointReader = (name = 'Checkpoint Reader') => ({
  roleName: name,
  description: 'Reads checkpoint blobs, nothing else.',
  roleType: 'CustomRole',
  assignableScopes: [RG.weights],
  permissions: [{ actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'], notActions: [], dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'], notDataActions: [] }],
});

beforeAll(async () => {
  const tls = await generateLocalTls();
  cert = tls.cert;
  sim = await startSimulator({ tls, knobs: { emitEvents: false } });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => sim.state.reset());

it('lists the 175 built-in roles at the tenant root, with their real GUIDs', async () => {
  const names: string[] = [];
  for await (const d of client(PEOPLE.accessManager).roleDefinitions.list('/', { filter: "type eq 'BuiltInRole'" })) names.push(`${d.roleName}=${d.name}`);
  expect(names).toHaveLength(175);
  expect(names).toEqual(expect.arrayContaining(['Cognitive Services OpenAI User=5e0bd9bd-7b93-4f28-af87-19fc36ad61bd', 'AcrPull=7f951dda-4ed3-4680-a7ca-43fe172d538d', 'Key Vault Secrets User=4633458b-17de-408a-b874-0445c86b69e6']));
});

it('the roles AccessManager knows by name agree with the catalog: same GUID, same permissions', () => {
  for (const known of BUILT_IN_ROLES) {
    const sim = builtInSimRole(known.guid);
    expect(sim?.roleName).toBe(known.roleName);
    expect(sim?.blocks).toEqual([known.permissions]);
  }
});

it('custom roles: created by someone who may write role definitions, read, listed by type where assignable, deleted', async () => {
  const dave = client(PEOPLE.dave);
  const guid = randomUUID();
  const created = await dave.roleDefinitions.createOrUpdate(SUBSCRIPTION_SCOPE, guid, checkpointReader());
  expect(created).toMatchObject({ name: guid, roleName: 'Checkpoint Reader', roleType: 'CustomRole', assignableScopes: [RG.weights] });
  expect((await dave.roleDefinitions.get(RG.weights, guid)).roleName).toBe('Checkpoint Reader');

  const customAt = async (scope: string) => {
    const out: string[] = [];
    for await (const d of dave.roleDefinitions.list(scope, { filter: "type eq 'CustomRole'" })) out.push(d.roleName!);
    return out;
  };
  expect(await customAt(`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`)).toEqual(['Checkpoint Reader']);
  expect(await customAt(RG.sandbox)).toEqual([]);
  expect(await customAt('/')).toEqual(['Checkpoint Reader']);

  // It can be assigned like a built-in role; while assigned it cannot be deleted.
  const assignment = randomUUID();
  await dave.roleAssignments.create(RG.weights, assignment, { roleDefinitionId: `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, principalId: PEOPLE.alice });
  const inUse = await restError(dave.roleDefinitions.delete(SUBSCRIPTION_SCOPE, guid));
  expect([inUse.statusCode, inUse.code]).toEqual([409, 'RoleDefinitionHasAssignments']);
  await dave.roleAssignments.delete(RG.weights, assignment);
  expect((await dave.roleDefinitions.delete(SUBSCRIPTION_SCOPE, guid)).roleName).toBe('Checkpoint Reader');
  const gone = await restError(dave.roleDefinitions.get(RG.weights, guid));
  expect([gone.statusCode, gone.code]).toEqual([404, 'RoleDefinitionDoesNotExist']);
});

it.each([
  ['without the right to write role definitions', PEOPLE.alice, checkpointReader(), 403, 'AuthorizationFailed'],
  ['with a name that exists', PEOPLE.dave, checkpointReader('Reader'), 409, 'RoleDefinitionWithSameNameExists'],
  ['with an unknown provider', PEOPLE.dave, { ...checkpointReader(), permissions: [{ actions: ['Microsoft.Nowhere/things/read'] }] }, 400, 'InvalidActionOrNotAction'],
  ['assignable at a scope that does not exist', PEOPLE.dave, { ...checkpointReader(), assignableScopes: [`${SUBSCRIPTION_SCOPE}/resourceGroups/rg-nowhere`] }, 404, 'ResourceGroupNotFound'],
])('refuses a custom role %s', async (_label, caller, body, status, code) => {
  const err = await restError(client(caller).roleDefinitions.createOrUpdate(SUBSCRIPTION_SCOPE, randomUUID(), body));
  expect([err.statusCode, err.code]).toEqual([status, code]);
});

it('a built-in role cannot be changed or deleted', async () => {
  const owner = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
  const put = await restError(client(PEOPLE.dave).roleDefinitions.createOrUpdate(SUBSCRIPTION_SCOPE, owner, checkpointReader('Owner 2')));
  expect(put.statusCode).toBe(400);
  const del = await restError(client(PEOPLE.dave).roleDefinitions.delete(SUBSCRIPTION_SCOPE, owner));
  expect(del.statusCode).toBe(400);
});

it('provider operations metadata: operations by provider and resource type, data actions marked', async () => {
  const ops = new Map<string, boolean>();
  for await (const p of client(PEOPLE.accessManager).providerOperationsMetadataOperations.list({ expand: 'resourceTypes' })) {
    for (const op of [...(p.operations ?? []), ...(p.resourceTypes ?? []).flatMap((t) => t.operations ?? [])]) ops.set(`${op.name}|${op.isDataAction}`, true);
  }
  expect(ops.size).toBeGreaterThan(1500);
  expect(ops.has('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read|true')).toBe(true);
  expect(ops.has('Microsoft.Storage/storageAccounts/listKeys/action|false')).toBe(true);
  const storage = await client(PEOPLE.accessManager).providerOperationsMetadataOperations.get('Microsoft.Storage', { expand: 'resourceTypes' });
  expect(storage.resourceTypes?.some((t) => t.name === 'storageAccounts/blobServices/containers')).toBe(true);
});
