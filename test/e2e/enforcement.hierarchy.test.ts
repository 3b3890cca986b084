/**
 * No blind spots (finding 8 of issue 10), end to end: assignments inherited from the management
 * group above the subscription and assignments of custom roles are judged like any other, and a
 * policy may govern a management group (its subscriptions are read from ARM at start-up).
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStack } from '../../dev/localStack';
import { roleAssignmentId, roleDefinitionId, scopeKey } from '../../shared/domain/armIds';
import { LOCAL_SUBSCRIPTION_ID, MANAGEMENT_GROUP, PEOPLE, RG, SUBSCRIPTION_SCOPE, TRAINING_SUBSCRIPTION_ID } from '../../dev/tenant';
import { assignOutOfBand, auditRecords, closeSimAgents, exists, policiesCopy, settle, simArm, startEnforcementStack, until } from './enforcementHelpers';

afterAll(async () => {
  await closeSimAgents();
});

/** `assignment.*` records about one assignment, oldest first. */
async function decisions(stack: LocalStack, assignmentId: string) {
  const all = await auditRecords(stack, {});
  return all.filter((r) => r.action.startsWith('assignment.') && r.assignmentId !== undefined && scopeKey(r.assignmentId) === scopeKey(assignmentId)).reverse();
}

describe('with the seed policies (none at the management group)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startEnforcementStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an Owner inherited from mg-research is judged by the policy of the subscription it reaches', async () => {
    const inherited = stack.sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'Owner', principalId: PEOPLE.mallory });
    // AccessManager holds its role at the subscription only: it sees the assignment but may not delete it there.
    await stack.host.runTimer('reconcile');
    expect(exists(stack, inherited.id)).toBe(true);
    expect(await decisions(stack, inherited.id)).toEqual([
      expect.objectContaining({ action: 'assignment.revokeFailed', policyId: 'subscription-baseline', details: expect.objectContaining({ inheritedInto: SUBSCRIPTION_SCOPE }) }),
    ]);

    // Given the permission at the group, the next reconcile revokes it.
    stack.sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'User Access Administrator', principalId: PEOPLE.accessManager });
    await stack.host.runTimer('reconcile');
    expect(exists(stack, inherited.id)).toBe(false);
    expect((await decisions(stack, inherited.id)).map((r) => r.action)).toEqual(['assignment.revokeFailed', 'assignment.revoked']);
  });

  it('the exemptions of the policy it reaches apply: break-glass at the group stays', async () => {
    const breakglass = stack.sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'Owner', principalId: PEOPLE.breakglass });
    await stack.host.runTimer('reconcile');
    expect(exists(stack, breakglass.id)).toBe(true);
    expect(await decisions(stack, breakglass.id)).toEqual([expect.objectContaining({ action: 'assignment.exempt', details: expect.objectContaining({ exemption: 'principal', inheritedInto: SUBSCRIPTION_SCOPE }) })]);
  });

  it('an assignment of a custom role is judged like any other', async () => {
    const guid = randomUUID();
    const definition = await simArm(stack, 'PUT', `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${guid}`, {
      body: {
        properties: {
          roleName: 'Checkpoint Exporter',
          description: 'Reads and copies checkpoints.',
          type: 'CustomRole',
          permissions: [{ actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'], dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'] }],
          assignableScopes: [SUBSCRIPTION_SCOPE],
        },
      },
    });
    expect(definition.status).toBe(201);
    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: guid, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, rogue.id), 'the custom-role assignment to be revoked');
    await settle(stack);
    expect(await decisions(stack, rogue.id)).toEqual([
      expect.objectContaining({ action: 'assignment.revoked', policyId: 'model-weights', roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, guid), reason: expect.stringContaining(`role ${guid}`) }),
    ]);
  });
});

describe('with a policy that governs mg-research', () => {
  let stack: LocalStack;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const policies = await policiesCopy((_file, text) => text);
    cleanup = policies.cleanup;
    await writeFile(
      join(policies.dir, 'research-group.yaml'),
      [
        'id: research-group',
        'description: Everything under the research management group; audit while it is rolled out.',
        `scope: ${MANAGEMENT_GROUP.scope}`,
        'mode: audit',
        'kind: rigid',
        '',
      ].join('\n'),
    );
    stack = await startEnforcementStack({ policiesDir: policies.dir });
    // As deployed: AccessManager needs its role wherever a policy governs.
    stack.sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'User Access Administrator', principalId: PEOPLE.accessManager });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup?.();
  });

  it('knows the subscriptions under the group from ARM and judges an assignment at the group by that policy', async () => {
    expect(stack.deps.policies.subscriptionsUnder(MANAGEMENT_GROUP.scope).sort()).toEqual([LOCAL_SUBSCRIPTION_ID, TRAINING_SUBSCRIPTION_ID]);
    expect(stack.deps.policies.governing(MANAGEMENT_GROUP.scope)?.id).toBe('research-group');
    // The more specific policies still decide below it.
    expect(stack.deps.policies.governing(RG.weights)?.id).toBe('model-weights');
    expect(stack.deps.policies.governing(SUBSCRIPTION_SCOPE)?.id).toBe('subscription-baseline');

    const atGroup = stack.sim.state.seedAssignment({ scope: MANAGEMENT_GROUP.scope, role: 'Reader', principalId: PEOPLE.mallory });
    await stack.host.runTimer('reconcile');
    expect(exists(stack, atGroup.id)).toBe(true);
    expect(await decisions(stack, atGroup.id)).toEqual([expect.objectContaining({ action: 'assignment.wouldRevoke', policyId: 'research-group', mode: 'audit' })]);
    expect(roleAssignmentId(MANAGEMENT_GROUP.scope, atGroup.name)).toBe(atGroup.id);
  });
});
