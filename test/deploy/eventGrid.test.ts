/** The postdeploy hook's topic plan: reuse the one topic a source has, else create it where Azure wants it. */
import { deploymentScopes } from '../../deploy/governedScopes';
import { functionsFor, parseIdList, planTopics, sourcesFrom, type ExistingTopic, type PlanContext } from '../../deploy/eventGrid';

const sub = '00000000-0000-0000-0000-000000000001';
const identity = `/subscriptions/${sub}/resourceGroups/rg-dev/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-am-evg-x`;
const ctx: PlanContext = { subscriptionId: sub, resourceGroup: 'rg-dev', envName: 'dev', eventGridIdentityId: identity };
const vault = `/subscriptions/${sub}/resourceGroups/rg-research/providers/Microsoft.KeyVault/vaults/kv-research`;
const topicId = (rg: string, name: string, s = sub) => `/subscriptions/${s}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics/${name}`;

test('parseIdList trims and drops blanks, commas or newlines', () => {
  expect(parseIdList(' a , ,b\nc\n')).toEqual(['a', 'b', 'c']);
  expect(parseIdList(undefined)).toEqual([]);
});

test('the sources: every governed subscription (the deployment one by default), then vaults and accounts', () => {
  expect(sourcesFrom({ KEY_VAULT_IDS: vault, STORAGE_ACCOUNT_IDS: '' }, deploymentScopes({}, sub).subscriptions)).toEqual([
    { kind: 'subscription', source: `/subscriptions/${sub}` },
    { kind: 'keyVault', source: vault },
  ]);
  const other = '11111111-2222-4333-8444-555555555555';
  expect(sourcesFrom({}, deploymentScopes({ GOVERNED_SUBSCRIPTION_IDS: other }, sub).subscriptions)).toEqual([
    { kind: 'subscription', source: `/subscriptions/${sub}` },
    { kind: 'subscription', source: `/subscriptions/${other}` },
  ]);
});

test('a new subscription topic is global, in the deployment group, and carries no identity (Azure allows none there)', () => {
  const [t] = planTopics([{ kind: 'subscription', source: `/subscriptions/${sub}` }], [], ctx);
  expect(t).toMatchObject({ create: true, location: 'global', resourceGroup: 'rg-dev', subscriptionId: sub, useIdentity: false });
});

test('an existing topic is reused, whatever the letter case of its source, and someone else\'s is never given an identity', () => {
  const existing: ExistingTopic[] = [{ id: topicId('Default-EventGrid', 'someones'), name: 'someones', source: `/SUBSCRIPTIONS/${sub.toUpperCase()}`, location: 'global' }];
  const [t] = planTopics([{ kind: 'subscription', source: `/subscriptions/${sub}` }], existing, ctx);
  expect(t).toMatchObject({ create: false, topicName: 'someones', resourceGroup: 'Default-EventGrid', useIdentity: false });
  const [kv] = planTopics([{ kind: 'keyVault', source: vault, location: 'westeurope' }], [{ id: topicId('rg-research', 'kv-topic'), name: 'kv-topic', source: vault, location: 'westeurope', identity: null }], ctx);
  expect(kv).toMatchObject({ create: false, topicName: 'kv-topic', resourceGroup: 'rg-research', location: 'westeurope', useIdentity: false });
});

test('a regional topic is created in the source\'s region and group, dead-lettering with our identity; on the next run it is recognised as ours', () => {
  const [created] = planTopics([{ kind: 'keyVault', source: vault, location: 'westeurope' }], [], ctx);
  expect(created).toMatchObject({ create: true, location: 'westeurope', resourceGroup: 'rg-research', useIdentity: true });
  expect(created!.topicName).toMatch(/^evgt-am-dev-keyvault-[0-9a-f]{8}$/);
  const ours: ExistingTopic = { id: topicId('rg-research', created!.topicName), name: created!.topicName, source: vault, location: 'westeurope', identity: { userAssignedIdentities: { [identity.toUpperCase()]: {} } } };
  expect(planTopics([{ kind: 'keyVault', source: vault, location: 'westeurope' }], [ours], ctx)[0]).toMatchObject({ create: false, useIdentity: true });
});

test('a missing topic of a subscription elsewhere needs a resource group there', () => {
  const other = '/subscriptions/00000000-0000-0000-0000-000000000002';
  expect(() => planTopics([{ kind: 'subscription', source: other }], [], ctx)).toThrow(/GOVERNED_EVENTS_RESOURCE_GROUP/);
  expect(planTopics([{ kind: 'subscription', source: other }], [], { ...ctx, governedTopicResourceGroup: 'rg-gov' })[0]).toMatchObject({
    subscriptionId: '00000000-0000-0000-0000-000000000002',
    resourceGroup: 'rg-gov',
  });
});

test('a source listed twice, a source with two topics, a regional source without region, a non-ARM id: refused', () => {
  const s = { kind: 'keyVault' as const, source: vault, location: 'westeurope' };
  expect(() => planTopics([s, { ...s, source: vault.toUpperCase() }], [], ctx)).toThrow(/twice/);
  const t: ExistingTopic = { id: topicId('a', 'x'), name: 'x', source: vault, location: 'westeurope' };
  expect(() => planTopics([s], [t, { ...t, name: 'y' }], ctx)).toThrow(/More than one/);
  expect(() => planTopics([{ kind: 'storage', source: vault.replace('KeyVault/vaults', 'Storage/storageAccounts') }], [], ctx)).toThrow(/region/);
  expect(() => planTopics([{ kind: 'storage', source: 'stweights' }], [], ctx)).toThrow(/not an ARM id/);
});

test('the functions a plan delivers to come from infra/shared/events.json', () => {
  const topics = planTopics([{ kind: 'subscription', source: `/subscriptions/${sub}` }, { kind: 'keyVault', source: vault, location: 'westeurope' }], [], ctx);
  expect(functionsFor(topics)).toEqual(['armEvents', 'keyVaultEvents']);
});
