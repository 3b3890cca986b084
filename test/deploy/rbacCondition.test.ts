/** The ABAC condition on AccessManager's RBAC Administrator role, from the policies it enforces. */
import { PolicySet } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { assignableRoles, denyRoleAssigningRoles, rbacCondition, roleAssigningRequestable } from '../../deploy/rbacCondition';

const reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const blobReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const policy = (id: string, kind: 'rigid' | 'flexible', roles: string[]) => ({
  file: `${id}.yaml`,
  data: {
    id,
    description: id,
    scope: `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/${id}`,
    mode: 'audit',
    kind,
    roles: roles.map((role) => ({ role, maxDuration: 'PT1H', approvals: 1, approvers: { groups: ['00000000-0000-4000-8000-000000000021'] } })),
    ...(kind === 'flexible' ? { exception: { approvers: { groups: ['00000000-0000-4000-8000-000000000022'] } } } : {}),
  },
});

test('rigid policies only: exactly the requestable roles may be assigned, writes of anything else are refused', () => {
  const set = PolicySet.fromSources([policy('a', 'rigid', ['Storage Blob Data Reader', 'Reader']), policy('b', 'rigid', ['Reader'])]);
  const assignable = assignableRoles(set.policies);
  expect(assignable).toEqual({ kind: 'only', roleIds: [reader, blobReader].sort() });
  expect(rbacCondition(assignable)).toBe(
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${[reader, blobReader].sort().join(', ')}}))`,
  );
});

test('a flexible policy (exception requests for any role): every role except those that assign roles', () => {
  const set = PolicySet.fromSources([policy('a', 'rigid', ['Reader']), policy('b', 'flexible', ['Reader'])]);
  expect(rbacCondition(assignableRoles(set.policies))).toBe(denyRoleAssigningRoles());
  expect(denyRoleAssigningRoles()).toContain('ForAnyOfAllValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9, f58310d9-a9f6-439a-9e8d-f62e7b41a168}');
});

test('nothing requestable (fresh starter policies): no write at all; deletes are never constrained', () => {
  const condition = rbacCondition(assignableRoles(PolicySet.fromSources([policy('a', 'rigid', [])]).policies));
  expect(condition).toContain('GuidEquals {00000000-0000-0000-0000-000000000000}');
  for (const c of [condition, denyRoleAssigningRoles()]) expect(c).not.toMatch(/roleAssignments\/delete/);
});

test('a requestable role that can itself assign roles is pointed out', () => {
  const assignable = assignableRoles(PolicySet.fromSources([policy('a', 'rigid', ['Owner', 'Reader'])]).policies);
  expect(roleAssigningRequestable(assignable)).toEqual(['8e3af657-a8ff-443c-a75c-2fe8c4bcb635']);
});

test('the shipped policies include a flexible one, so the deployment uses the deny-list', async () => {
  expect(assignableRoles((await loadPolicies('policies')).policies)).toEqual({ kind: 'allExceptRoleAssigning' });
});
