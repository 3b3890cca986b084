/**
 * Break-glass accounts and AccessManager's own identity are never revoked, whatever a policy
 * says: here the policies exempt neither, and both keep their access.
 */
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE, RG } from '../../dev/tenant';
import { assignOutOfBand, auditRecords, closeSimAgents, exists, policiesCopy, ROLE, settle, startEnforcementStack, until } from './enforcementHelpers';

let stack: LocalStack;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const copy = await policiesCopy((file, text) =>
    file === 'subscription-baseline.yaml' ? text.replace(/\n {4}- id: 00000000-0000-4000-8000-0000000000(17|18)[^\n]*\n {6}reason:[^\n]*/g, '').replace(/principals:\s*\n(\s*#)/, 'principals: []\n$1') : text,
  );
  cleanup = copy.cleanup;
  expect(copy.dir).toBeTruthy();
  stack = await startEnforcementStack({ policiesDir: copy.dir });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
  await cleanup?.();
});

test('the policy files no longer exempt them', () => {
  expect(stack.deps.policies.byId('subscription-baseline')!.exemptions.principals).toEqual([]);
});

test('break-glass (configuration) and our own identity keep rogue-looking assignments; mallory loses hers', async () => {
  const breakglass = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.breakglass });
  const self = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.accessManager });
  const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory });
  await until(() => !exists(stack, rogue.id), "mallory's assignment to be revoked");
  await settle(stack);
  expect(exists(stack, breakglass.id)).toBe(true);
  expect(exists(stack, self.id)).toBe(true);
  const exempt = await auditRecords(stack, { action: 'assignment.exempt' });
  expect(exempt.filter((r) => r.assignmentId === breakglass.id).map((r) => r.reason)).toEqual([expect.stringContaining('BREAKGLASS_PRINCIPAL_IDS')]);
  expect(exempt.filter((r) => r.assignmentId === self.id)).toHaveLength(1);
});
