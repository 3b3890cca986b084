/** The governed scopes (domain/governance): which subscriptions and groups AccessManager acts in. */
import { governedScopes, governedSubscriptionScopes, isGoverned, isGovernedSubscription, policiesOutside } from '../../shared/domain/governance';
import { localConfig } from '../fakes/world';

const A = '00000000-0000-0000-0000-00000000000a';
const B = '00000000-0000-0000-0000-00000000000b';
const C = '00000000-0000-0000-0000-00000000000c';
const MG = '/providers/Microsoft.Management/managementGroups/mg-lab';
const CHILD = '/providers/Microsoft.Management/managementGroups/mg-lab-gpu';
const ROOT = '/providers/Microsoft.Management/managementGroups/root';

const explicit = governedScopes({ defaultSubscription: A, subscriptions: [], managementGroup: { scope: MG, subscriptions: [B.toUpperCase()], groups: [CHILD] } });
const single = governedScopes({ defaultSubscription: A, subscriptions: [], policyReach: { scopes: [`/subscriptions/${A}/resourceGroups/rg`, ROOT], subscriptions: [C] } });

test.each<[string, typeof explicit, string, boolean]>([
  ['the default subscription', explicit, `/subscriptions/${A}/resourceGroups/rg`, true],
  ['a subscription under the group (any case)', explicit, `/subscriptions/${B}`, true],
  ['the group itself', explicit, MG, true],
  ['a group under it', explicit, CHILD.toLowerCase(), true],
  ['a group above it', explicit, ROOT, false],
  ['another subscription', explicit, `/subscriptions/${C}/resourceGroups/rg`, false],
  ['the tenant root scope', explicit, '/', false],
  ['single subscription: what the policies reach', single, `/subscriptions/${C}`, true],
  ['single subscription: a policy group', single, ROOT, true],
  ['single subscription: anything else', single, `/subscriptions/${B}`, false],
])('%s', (_what, governed, scope, expected) => {
  expect(isGoverned(governed, scope)).toBe(expected);
});

test('events carry a subscription id; only governed ones are handled', () => {
  expect(isGovernedSubscription(explicit, B.toUpperCase())).toBe(true);
  expect(isGovernedSubscription(explicit, C)).toBe(false);
  expect(isGovernedSubscription(explicit, undefined)).toBe(false);
  expect(governedSubscriptionScopes(explicit)).toEqual([`/subscriptions/${A}`, `/subscriptions/${B}`]);
});

test('with explicit settings a policy outside the governed scopes is named; the single-subscription default never refuses', () => {
  const policies = [
    { id: 'inside', scope: `/subscriptions/${B}/resourceGroups/rg` },
    { id: 'above', scope: ROOT },
    { id: 'elsewhere', scope: `/subscriptions/${C}` },
  ];
  expect(policiesOutside(explicit, policies)).toEqual([`above (${ROOT})`, `elsewhere (/subscriptions/${C})`]);
  expect(policiesOutside(single, policies)).toEqual([]);
});

test('settings: a list of subscriptions and a management group by name or id', () => {
  const config = localConfig({ GOVERNED_SUBSCRIPTION_IDS: ` ${B.toUpperCase()}, ${C} `, GOVERNED_MANAGEMENT_GROUP: 'mg-lab' });
  expect(config.GOVERNED_SUBSCRIPTION_IDS).toEqual([B, C]);
  expect(config.GOVERNED_MANAGEMENT_GROUP).toBe(MG);
  expect(localConfig({ GOVERNED_MANAGEMENT_GROUP: MG }).GOVERNED_MANAGEMENT_GROUP).toBe(MG);
  expect(() => localConfig({ GOVERNED_SUBSCRIPTION_IDS: 'nope' })).toThrow(/GOVERNED_SUBSCRIPTION_IDS/);
  expect(() => localConfig({ GOVERNED_MANAGEMENT_GROUP: 'bad/name' })).toThrow(/GOVERNED_MANAGEMENT_GROUP/);
});
