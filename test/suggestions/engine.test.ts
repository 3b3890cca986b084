/** The narrowest-role engine, by table, over the simulator's catalog of 175 real built-in roles and 1,565 provider operations. */
import { RoleCatalog } from '../../shared/domain/suggestions/catalog';
import { checkNeed, describeNeedProblems, isBroader, measureRole, rankRoles, type Need } from '../../shared/domain/suggestions/engine';
import type { RoleDefinition } from '../../shared/domain/suggestions/roleDefinition';
import { BUILT_IN_DEFINITIONS, KNOWN_OPERATIONS, realCatalog } from './catalogData';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const RG = `${SUB}/resourceGroups/rg-weights`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stweights`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/checkpoints`;
const VAULT = `${SUB}/resourceGroups/rg-research/providers/Microsoft.KeyVault/vaults/kv-research`;
const OPENAI = `${SUB}/resourceGroups/rg-research/providers/Microsoft.CognitiveServices/accounts/oai-research`;
const REGISTRY = `${SUB}/resourceGroups/rg-research/providers/Microsoft.ContainerRegistry/registries/acrresearch`;
const BLOBS = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';

function need(actions: string[], dataActions: string[] = []): Need {
  const checked = checkNeed(realCatalog(), { actions, dataActions });
  if (!checked.ok) throw new Error(describeNeedProblems(checked.problems));
  return checked.need;
}

/** The ten needs of the closing note: what is needed, where, and the role the engine puts first. */
export const TEN_NEEDS: ReadonlyArray<{ need: string; actions?: string[]; dataActions?: string[]; scope: string; first: string; at?: string }> = [
  { need: 'read the checkpoints in one container', dataActions: [`${BLOBS}/read`], scope: CONTAINER, first: 'Storage Blob Data Reader' },
  { need: 'read and write blobs in one container', dataActions: [`${BLOBS}/read`, `${BLOBS}/write`], scope: CONTAINER, first: 'Storage Connector Contributor' },
  { need: 'read secret values in a vault', dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'], scope: VAULT, first: 'Key Vault Secrets User' },
  { need: 'encrypt and decrypt with vault keys', dataActions: ['Microsoft.KeyVault/vaults/keys/encrypt/action', 'Microsoft.KeyVault/vaults/keys/decrypt/action'], scope: VAULT, first: 'Key Vault Crypto User' },
  { need: 'list the containers of an account', actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'], scope: ACCOUNT, first: 'Reader' },
  { need: 'start and restart the VMs of a group', actions: ['Microsoft.Compute/virtualMachines/start/action', 'Microsoft.Compute/virtualMachines/restart/action'], scope: RG, first: 'Virtual Machine Contributor' },
  { need: 'call chat completions of an OpenAI deployment', dataActions: ['Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action'], scope: OPENAI, first: 'Cognitive Services OpenAI User' },
  { need: 'pull images from a registry', actions: ['Microsoft.ContainerRegistry/registries/pull/read'], scope: REGISTRY, first: 'AcrPull' },
  { need: 'assign roles in a resource group', actions: ['Microsoft.Authorization/roleAssignments/write'], scope: RG, first: 'Role Based Access Control Administrator' },
  { need: "read a storage account's properties, asked at one of its containers", actions: ['Microsoft.Storage/storageAccounts/read'], scope: CONTAINER, first: 'Reader', at: ACCOUNT },
];

describe('the ten needs', () => {
  it.each(TEN_NEEDS.map((c) => [c.need, c] as const))('%s', (_label, c) => {
    const ranking = rankRoles(realCatalog(), need(c.actions ?? [], c.dataActions ?? []), c.scope, 5);
    expect(ranking.roles[0]?.definition.roleName).toBe(c.first);
    expect(ranking.scope).toBe(c.at ?? c.scope);
  });
});

describe('ranking', () => {
  it('reading blobs at a container: Storage Blob Data Reader first; its user-delegation key acts above the container, so it is listed but not effective there', () => {
    const [first] = rankRoles(realCatalog(), need([], [`${BLOBS}/read`]), CONTAINER).roles;
    expect(first!.definition.guid).toBe('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
    expect(first!.extra).toEqual([
      { kind: 'action', permission: 'Microsoft.Storage/storageAccounts/blobServices/containers/read', effective: true },
      expect.objectContaining({ kind: 'action', permission: 'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action', effective: false, note: expect.stringContaining('SAS') }),
    ]);
    expect(first!.breadth).toEqual({ dataActions: 0, accessActions: 0, writeActions: 0, readActions: 1 });
  });

  it('at the resource group the same role can mint user-delegation SAS tokens, and the breadth says so', () => {
    const [first] = rankRoles(realCatalog(), need([], [`${BLOBS}/read`]), RG).roles;
    expect(first!.definition.roleName).toBe('Storage Blob Data Reader');
    expect(first!.extra.find((e) => e.permission.endsWith('generateUserDelegationKey/action'))?.effective).toBe(true);
    expect(first!.breadth.accessActions).toBe(1);
  });

  it('a role that grants exactly the need comes first and says so', () => {
    const [first] = rankRoles(realCatalog(), need(['Microsoft.ContainerRegistry/registries/pull/read']), REGISTRY).roles;
    expect(first).toMatchObject({ exact: true, extra: [] });
    expect(first!.definition.roleName).toBe('AcrPull');
  });

  it('one more data action weighs more than any number of control-plane writes', () => {
    const ranking = rankRoles(realCatalog(), need(['Microsoft.Storage/storageAccounts/blobServices/containers/read']), CONTAINER);
    const names = ranking.roles.map((r) => r.definition.roleName);
    expect(names.indexOf('Contributor')).toBeLessThan(names.indexOf('Storage Blob Data Reader'));
    expect(names.indexOf('Reader')).toBeLessThan(names.indexOf('Contributor'));
  });

  it('control-plane wildcards never cover data actions (Owner does not read blobs)', () => {
    const names = rankRoles(realCatalog(), need([], [`${BLOBS}/read`]), RG).roles.map((r) => r.definition.roleName);
    expect(names).not.toContain('Owner');
    expect(names).not.toContain('Contributor');
    expect(names).toContain('Storage Blob Data Owner');
  });

  it('NotActions exclude: Contributor cannot write role assignments, Owner can', () => {
    const names = rankRoles(realCatalog(), need(['Microsoft.Authorization/roleAssignments/write']), RG).roles.map((r) => r.definition.roleName);
    expect(names).toEqual(['Role Based Access Control Administrator', 'User Access Administrator', 'Owner']);
  });

  it('matching ignores case, and answers in the published spelling', () => {
    const checked = checkNeed(realCatalog(), { actions: [], dataActions: ['microsoft.storage/STORAGEACCOUNTS/blobservices/containers/blobs/READ'] });
    expect(checked).toEqual({ ok: true, need: { actions: [], dataActions: [`${BLOBS}/read`] } });
  });

  it('isBroader follows the ranking, and a tie is not broader', () => {
    const catalog = realCatalog();
    const n = need([], [`${BLOBS}/read`]);
    const reader = measureRole(catalog, catalog.role('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1')!, n, CONTAINER);
    const contributor = measureRole(catalog, catalog.role('ba92f5b4-2d11-453d-a403-e96b0029c9fe')!, n, CONTAINER);
    expect(isBroader(contributor, reader)).toBe(true);
    expect(isBroader(reader, contributor)).toBe(false);
    expect(isBroader(reader, reader)).toBe(false);
  });

  it('a role that does not grant the need measures as not covering, naming what is missing', () => {
    const catalog = realCatalog();
    const measured = measureRole(catalog, catalog.role('acdd72a7-3385-48ef-bd42-f606fba81ae7')!, need([], [`${BLOBS}/read`]), CONTAINER);
    expect(measured).toMatchObject({ covers: false, missing: { actions: [], dataActions: [`${BLOBS}/read`] } });
  });
});

describe('checking the need', () => {
  it.each([
    [{ actions: ['Microsoft.Storage/storageAcounts/listKeys/action'], dataActions: [] }, 'unknown', ['Microsoft.Storage/storageAccounts/listKeys/action']],
    [{ actions: [`${BLOBS}/read`], dataActions: [] }, 'wrongKind', [`${BLOBS}/read`]],
    [{ actions: [], dataActions: ['Microsoft.Storage/*/read'] }, 'wildcard', []],
  ] as const)('%j: %s', (asked, problem, nearest) => {
    const checked = checkNeed(realCatalog(), { actions: [...asked.actions], dataActions: [...asked.dataActions] });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problems[0]).toMatchObject({ problem, nearest: expect.arrayContaining([...nearest]) });
    expect(describeNeedProblems(checked.problems).length).toBeGreaterThan(20);
  });
});

describe('custom roles and conditions', () => {
  const custom: RoleDefinition = {
    id: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-4333-8444-555555555555`,
    guid: '11111111-2222-4333-8444-555555555555',
    roleName: 'Checkpoint Reader',
    description: 'reads blobs, nothing else',
    roleType: 'CustomRole',
    assignableScopes: [RG],
    permissions: [{ actions: [], notActions: [], dataActions: [`${BLOBS}/read`], notDataActions: [] }],
  };

  it('a custom role that grants exactly the need beats every built-in role where it is assignable', () => {
    const catalog = realCatalog().withRoles([custom]);
    const [first] = rankRoles(catalog, need([], [`${BLOBS}/read`]), CONTAINER).roles;
    expect(first).toMatchObject({ exact: true, definition: { roleName: 'Checkpoint Reader' } });
  });

  it('outside its assignable scopes it is not offered', () => {
    const catalog = realCatalog().withRoles([custom]);
    const names = rankRoles(catalog, need([], [`${BLOBS}/read`]), `${SUB}/resourceGroups/rg-sandbox`).roles.map((r) => r.definition.roleName);
    expect(names).not.toContain('Checkpoint Reader');
  });

  it('a permission block under an ABAC condition never covers a need, but counts toward what the role can reach', () => {
    const conditional: RoleDefinition = { ...custom, guid: '11111111-2222-4333-8444-666666666666', roleName: 'Conditional Reader', permissions: [{ ...custom.permissions[0]!, condition: "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'" }] };
    const catalog = RoleCatalog.build([...BUILT_IN_DEFINITIONS, conditional], KNOWN_OPERATIONS);
    const n = need([], [`${BLOBS}/read`]);
    expect(rankRoles(catalog, n, CONTAINER).roles.map((r) => r.definition.roleName)).not.toContain('Conditional Reader');
    expect(measureRole(catalog, catalog.role(conditional.guid)!, n, CONTAINER).covers).toBe(false);
  });
});
