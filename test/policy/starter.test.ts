/** Starter policies from a subscription's inventory: where each standing assignment is exempted, and what is requestable. */
import { PolicySet } from '../../shared/domain/policy';
import { policyIdFor, starterPolicies, type SubscriptionInventory } from '../../shared/domain/policy/starter';

const sub = '00000000-0000-0000-0000-0000000000aa';
const rg = (name: string) => `/subscriptions/${sub}/resourceGroups/${name}`;
const assignment = (scope: string, n: number, role = 'acdd72a7-3385-48ef-bd42-f606fba81ae7', roleName?: string) => ({
  id: `${scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  scope,
  principalId: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
  principalType: 'User',
  roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
  ...(roleName ? { roleName } : {}),
});

const inventory: SubscriptionInventory = {
  subscriptionId: sub.toUpperCase(),
  displayName: 'Research',
  resourceGroups: [
    { id: rg('rg-data'), name: 'rg-data' },
    { id: rg('rg-keys'), name: 'rg-keys' },
    { id: rg('rg-compute'), name: 'rg-compute' },
  ],
  resources: [
    { id: `${rg('rg-data')}/providers/Microsoft.Storage/storageAccounts/stdata`, name: 'stdata', type: 'Microsoft.Storage/storageAccounts' },
    { id: `${rg('rg-keys')}/providers/Microsoft.KeyVault/vaults/kv-keys`, name: 'kv-keys', type: 'Microsoft.KeyVault/vaults' },
  ],
  assignments: [
    assignment(`/subscriptions/${sub}`, 1, '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'),
    assignment(rg('rg-data'), 2, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'),
    assignment(`${rg('rg-data')}/providers/Microsoft.Storage/storageAccounts/stdata`, 3, '11111111-2222-4333-8444-555555555555', 'Checkpoint Uploader'),
    assignment(rg('rg-compute'), 4),
    assignment('/providers/Microsoft.Management/managementGroups/contoso', 5),
    assignment('/', 6),
  ],
};
const options = { date: '2026-12-01', source: `subscription ${sub}`, approverGroups: ['00000000-0000-4000-8000-000000000021'] };

test('one policy per subscription and per resource group holding storage or a vault, all in audit mode', () => {
  const { policies } = starterPolicies([inventory], options);
  expect(policies.map((p) => [p.file, p.scope])).toEqual([
    ['subscription-00000000.yaml', `/subscriptions/${sub}`],
    ['rg-data.yaml', rg('rg-data')],
    ['rg-keys.yaml', rg('rg-keys')],
  ]);
  const set = PolicySet.fromSources(policies.map((p) => ({ file: p.file, text: p.text })));
  expect(set.policies.map((p) => p.mode)).toEqual(['audit', 'audit', 'audit']);
});

test('each standing assignment is exempted once, by its id, in the most specific policy that holds it; inherited ones are counted, not governed', () => {
  const { policies, inherited } = starterPolicies([inventory], options);
  const set = PolicySet.fromSources(policies.map((p) => ({ file: p.file, text: p.text })));
  const exemptions = Object.fromEntries(set.policies.map((p) => [p.id, p.exemptions.assignments.map((a) => a.name.slice(-2))]));
  expect(exemptions).toEqual({ 'subscription-00000000': ['01', '04'], 'rg-data': ['02', '03'], 'rg-keys': [] });
  expect(inherited).toBe(2);
  for (const a of inventory.assignments.slice(0, 4)) expect(set.isExemptAssignment(a.id, a.scope)).toBe(true);
});

test('reasons say what the access is, with role names from the subscription (custom roles too)', () => {
  const text = starterPolicies([inventory], options).policies.find((p) => p.id === 'rg-data')!.text;
  expect(text).toContain('Standing on 2026-12-01: Storage Blob Data Reader for User 00000000-0000-4000-9000-000000000002');
  expect(text).toContain('Checkpoint Uploader for User');
  expect(text).toMatch(/^# Starter policy written by `access-manager policies init` on 2026-12-01/);
});

test('requestable roles follow what the group holds, approved by the given groups; none without approver groups', () => {
  const roles = (approverGroups: string[]) =>
    Object.fromEntries(
      PolicySet.fromSources(starterPolicies([inventory], { ...options, approverGroups }).policies.map((p) => ({ file: p.file, text: p.text }))).policies.map((p) => [p.id, p.roles.map((r) => `${r.roleName} ${r.maxDuration} x${r.approvals}`)]),
    );
  expect(roles(options.approverGroups)).toEqual({
    'subscription-00000000': ['Reader P1D x1'],
    'rg-data': ['Storage Blob Data Reader PT8H x1', 'Storage Blob Data Contributor PT4H x2'],
    'rg-keys': ['Key Vault Secrets User PT4H x1'],
  });
  expect(roles([])).toEqual({ 'subscription-00000000': [], 'rg-data': [], 'rg-keys': [] });
});

test('policy ids are valid and unique, even for the same group name in two subscriptions', () => {
  expect(policyIdFor('RG_Weights.Prod (EU)')).toBe('rg-weights-prod-eu');
  expect(policyIdFor('___')).toBe('resource-group');
  const other = { ...inventory, subscriptionId: '11111111-0000-0000-0000-000000000000', assignments: [] };
  const ids = starterPolicies([inventory, other], options).policies.map((p) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toContain('rg-data-11111111');
});
