/** What a deployment governs (the roles and topics it must create) and which policies fit it. */
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { deploymentScopes, policiesOutside } from '../../deploy/governedScopes';

const SIM = '00000000-0000-0000-0000-000000000001';
const DEPLOYED = '99999999-0000-4000-8000-000000000001';
const EXTRA = '11111111-2222-4333-8444-555555555555';
const UNDER = '22222222-3333-4444-8555-666666666666';

/** The shape ARM's descendants API answers with (management groups and subscriptions, flat). */
const descendants = {
  value: [
    { id: '/providers/Microsoft.Management/managementGroups/mg-child', type: 'Microsoft.Management/managementGroups', name: 'mg-child' },
    { id: `/subscriptions/${UNDER.toUpperCase()}`, type: 'Microsoft.Management/managementGroups/subscriptions', name: UNDER.toUpperCase() },
  ],
};

test.each([
  ['nothing set: the subscription deployed to', {}, [DEPLOYED]],
  ['GOVERNED_SUBSCRIPTION_ID replaces it', { GOVERNED_SUBSCRIPTION_ID: SIM }, [SIM]],
  ['GOVERNED_SUBSCRIPTION_IDS add to it (deduplicated, any case, spaces)', { GOVERNED_SUBSCRIPTION_IDS: ` ${EXTRA.toUpperCase()} , ${DEPLOYED},` }, [DEPLOYED, EXTRA]],
] as const)('%s', (_name, env, expected) => {
  const scopes = deploymentScopes(env, DEPLOYED);
  expect(scopes.subscriptions).toEqual(expected);
  expect([...scopes.governed.managementGroups]).toEqual([]);
});

test('a management group adds every subscription and group ARM lists under it', () => {
  const asked: string[] = [];
  const scopes = deploymentScopes({ GOVERNED_MANAGEMENT_GROUP: 'mg-research' }, DEPLOYED, (scope) => {
    asked.push(scope);
    return descendants;
  });
  expect(asked).toEqual(['/providers/Microsoft.Management/managementGroups/mg-research']);
  expect(scopes.subscriptions).toEqual([DEPLOYED, UNDER]);
  expect([...scopes.governed.managementGroups]).toEqual(['/providers/microsoft.management/managementgroups/mg-research', '/providers/microsoft.management/managementgroups/mg-child']);
  expect(deploymentScopes({ GOVERNED_MANAGEMENT_GROUP: 'mg' }, DEPLOYED, () => null).subscriptions).toEqual([DEPLOYED]);
});

test('bad settings are refused with the setting named', () => {
  expect(() => deploymentScopes({ GOVERNED_SUBSCRIPTION_IDS: 'prod' }, DEPLOYED)).toThrow(/GOVERNED_SUBSCRIPTION_IDS is not valid \("prod"\)/);
  expect(() => deploymentScopes({ GOVERNED_MANAGEMENT_GROUP: 'mg/../other' }, DEPLOYED)).toThrow(/GOVERNED_MANAGEMENT_GROUP is not valid/);
  expect(() => deploymentScopes({ GOVERNED_SUBSCRIPTION_ID: 'prod' }, DEPLOYED)).toThrow(/GOVERNED_SUBSCRIPTION_ID is not valid/);
  expect(deploymentScopes({ GOVERNED_MANAGEMENT_GROUP: ' ' }, DEPLOYED).subscriptions).toEqual([DEPLOYED]);
});

test('policies outside the governed scopes (the shipped ones describe the simulator) stop the provision', async () => {
  const shipped = (await loadPolicies('policies')).policies;
  expect(policiesOutside(shipped, deploymentScopes({ GOVERNED_SUBSCRIPTION_ID: SIM }, DEPLOYED))).toEqual([]);
  expect(policiesOutside(shipped, deploymentScopes({ GOVERNED_SUBSCRIPTION_IDS: SIM }, DEPLOYED))).toEqual([]);
  expect(policiesOutside(shipped, deploymentScopes({}, DEPLOYED)).map((p) => p.id).sort()).toEqual(['model-weights', 'research', 'sandbox', 'subscription-baseline']);
});

test('a policy may name the governed management group or one under it, not another', () => {
  const scopes = deploymentScopes({ GOVERNED_MANAGEMENT_GROUP: 'mg-research' }, DEPLOYED, () => descendants);
  const at = (scope: string) => ({ id: scope, scope }) as unknown as Parameters<typeof policiesOutside>[0][number];
  const policies = [
    at('/providers/Microsoft.Management/managementGroups/MG-RESEARCH'),
    at('/providers/Microsoft.Management/managementGroups/mg-child'),
    at(`/subscriptions/${UNDER}/resourceGroups/rg`),
    at('/providers/Microsoft.Management/managementGroups/mg-other'),
    at(`/subscriptions/${EXTRA}`),
  ];
  expect(policiesOutside(policies, scopes).map((p) => p.scope)).toEqual(['/providers/Microsoft.Management/managementGroups/mg-other', `/subscriptions/${EXTRA}`]);
});
