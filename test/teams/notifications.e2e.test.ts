/**
 * The Teams notifier through the local stack: approval cards to a channel a policy names,
 * security alerts to that channel, one delivery per notification key, the expiry warning with
 * its Renew action (and the renewal request it opens), ended grants, and timed-out requests
 * whose cards are updated. Time moves with a manual clock; timers run on demand.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { LocalStack } from '../../dev/localStack';
import { ManualClock } from '../../shared/domain/clock';
import type { Notification } from '../../shared/ports/notifier';
import type { ConversationRepository } from '../../shared/ports/conversations';
import { TeamsNotifier } from '../../shared/adapters/teams/teamsNotifier';
import { CardStore } from '../../shared/adapters/cosmos/cardStore';
import { SentKeys } from '../../shared/adapters/cosmos/sentKeys';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { endGrant } from '../../shared/usecases/grants';
import { liveEntries } from '../../shared/domain/grants/grant';
import { LOCAL_TENANT_ID, PEOPLE, RG } from '../../dev/tenant';
import { as, copyPolicies, startTestStack, USERS, type ApiClient, type Page, type RequestDto } from '../e2e/helpers';
import { cardClick, cardOf, click, closeTeamsClient, postToBot, recordsAbout, teamsActivities } from './teamsHelpers';

const CHANNEL = '19:security-alerts@thread.tacv2';
const PLATFORM_CHANNEL = '19:platform-alerts@thread.tacv2';
const MINUTE = 60_000;

let stack: LocalStack;
let cleanupPolicies: () => Promise<void>;
const clock = new ManualClock(new Date());
let alice: ApiClient, bob: ApiClient, carol: ApiClient, erin: ApiClient;

beforeAll(async () => {
  // The sandbox policy names the security team's channel: its approval cards and security alerts go there.
  const policies = await copyPolicies();
  cleanupPolicies = policies.cleanup;
  const file = join(policies.dir, 'sandbox.yaml');
  const sandbox = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  sandbox.notify = { teamsChannel: { teamId: '19:security-team@thread.tacv2', channelId: CHANNEL } };
  await writeFile(file, stringify(sandbox));
  // The subscription-level policy names another channel: alerts about policies under it go there.
  const baselineFile = join(policies.dir, 'subscription-baseline.yaml');
  const baseline = parse(await readFile(baselineFile, 'utf8')) as Record<string, unknown>;
  baseline.notify = { teamsChannel: { teamId: '19:platform@thread.tacv2', channelId: PLATFORM_CHANNEL } };
  await writeFile(baselineFile, stringify(baseline));
  stack = await startTestStack({ policiesDir: policies.dir, clock });
  // The channel exists in the simulated Teams (the bot was added to the team).
  for (const id of [CHANNEL, PLATFORM_CHANNEL]) stack.sim.state.teams.conversations.set(id, { id, conversationType: 'groupChat', tenantId: LOCAL_TENANT_ID, members: [], createdAt: new Date().toISOString() });
  alice = as(stack, USERS.alice);
  bob = as(stack, USERS.bob);
  carol = as(stack, USERS.carol);
  erin = as(stack, USERS.erin);
});

afterAll(async () => {
  await closeTeamsClient(stack);
  await stack?.stop();
  await cleanupPolicies?.();
});

const textOf = (value: unknown) => JSON.stringify(value);

async function channelRecords() {
  return (await teamsActivities(stack)).filter((r) => r.conversationId === CHANNEL);
}

/** A grant for alice on rg-weights (Reader, two approvals through the API). */
async function grantForAlice(duration = 'PT1H'): Promise<{ requestId: string; grantId: string }> {
  const created = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration, justification: 'evaluate checkpoint 42' });
  expect(created.status).toBe(201);
  await bob.post(`/api/requests/${created.body.id}/approve`);
  const approved = await carol.post<RequestDto>(`/api/requests/${created.body.id}/approve`);
  expect(approved.body.status).toBe('approved');
  return { requestId: created.body.id, grantId: approved.body.grantId! };
}

describe('a policy that names a Teams channel', () => {
  it('gets one approval card in the channel (refreshing for each approver), which an approver approves from there', async () => {
    const created = await alice.post<RequestDto>('/api/requests', { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT30M', justification: 'scratch run' });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const sends = recordsAbout(await teamsActivities(stack, { operation: 'send' }), id).filter((r) => r.recipientObjectId !== PEOPLE.alice);
    expect(sends.map((r) => r.conversationId)).toEqual([CHANNEL]);
    const card = cardOf(sends[0]!);
    expect(card?.actions?.map((a) => a.verb)).toEqual(['approve', 'deny']);
    expect([...(card?.refresh?.userIds ?? [])].sort()).toEqual([PEOPLE.bob, PEOPLE.carol, PEOPLE.erin].map((id) => `29:sim-${id}`).sort());

    const inChannel = { ...cardClick(stack, USERS.bob, 'approve', { requestId: id }), conversation: { id: `${CHANNEL};messageid=${sends[0]!.activityId}`, conversationType: 'channel', tenantId: LOCAL_TENANT_ID } };
    const res = await postToBot(stack, inChannel);
    expect(res.status).toBe(200);
    expect(textOf(res.body.value)).toContain('access has been granted');
    const updates = (await channelRecords()).filter((r) => r.activityId === sends[0]!.activityId);
    const last = cardOf(updates[updates.length - 1]!);
    expect(textOf(last)).toContain('Approved: access granted');
    expect(last?.actions).toBeUndefined();
  });

  it('hears security alerts; a notification key is delivered once, however often it is notified', async () => {
    const alert: Notification = {
      kind: 'assignment.revoked',
      recipients: [PEOPLE.mallory],
      securityChannel: true,
      subject: 'Revoked: Owner for mallory',
      text: 'No grant covers it. Made by dave.',
      key: 'revoke:test-assignment-1',
    };
    await stack.deps.notifier.notify(alert);
    await stack.deps.notifier.notify(alert);
    await stack.deps.notifier.notify({ ...alert, kind: 'breaker.tripped', recipients: [], subject: 'Enforcement paused for sandbox', key: 'breaker:sandbox:1' });
    const inChannel = (await channelRecords()).map((r) => textOf(cardOf(r)));
    expect(inChannel.filter((t) => t.includes('Revoked: Owner for mallory'))).toHaveLength(1);
    expect(inChannel.filter((t) => t.includes('Enforcement paused for sandbox'))).toHaveLength(1);
    const toMallory = (await teamsActivities(stack, { recipient: PEOPLE.mallory })).filter((r) => textOf(cardOf(r)).includes('Revoked: Owner for mallory'));
    expect(toMallory).toHaveLength(1);
  });
});

describe('security alerts about a policy', () => {
  it("go to the channel of that policy or the policies above it, not to another policy's", async () => {
    await stack.deps.notifier.notify({
      kind: 'assignment.revoked',
      recipients: [],
      securityChannel: true,
      subject: 'Revoked: Storage Blob Data Reader for mallory on rg-weights',
      text: 'No grant covers it. Made by dave.',
      policyId: 'model-weights',
      key: 'revoke:test-assignment-weights',
    });
    const texts = async (channel: string) => (await teamsActivities(stack)).filter((r) => r.conversationId === channel).map((r) => textOf(cardOf(r)));
    expect((await texts(PLATFORM_CHANNEL)).filter((t) => t.includes('for mallory on rg-weights'))).toHaveLength(1);
    expect((await texts(CHANNEL)).filter((t) => t.includes('for mallory on rg-weights'))).toHaveLength(0);
  });
});

describe('the security destination always exists (issue 10)', () => {
  it('critical alerts also reach the security contacts in their 1:1 chats (default: the approvers of the broadest policy)', async () => {
    await stack.deps.notifier.notify({
      kind: 'enforcement.selfAccessLost',
      recipients: [],
      securityChannel: true,
      severity: 'critical',
      subject: 'AccessManager lost its permission',
      text: 'It cannot grant or revoke at the subscription.',
      key: 'selfAccessLost:test',
    });
    // security-team (the approvers of subscription-baseline) is erin.
    const toErin = (await teamsActivities(stack, { recipient: PEOPLE.erin })).filter((r) => textOf(cardOf(r)).includes('AccessManager lost its permission'));
    expect(toErin).toHaveLength(1);
    expect((await teamsActivities(stack)).filter((r) => r.conversationId === PLATFORM_CHANNEL && textOf(cardOf(r)).includes('AccessManager lost its permission'))).toHaveLength(1);
  });

  it('with no channel named anywhere, every security alert goes to the security contacts', async () => {
    const withoutChannels = await loadPolicies('policies');
    const notifier = new TeamsNotifier(
      {
        requests: stack.deps.requests,
        grants: stack.deps.grants,
        conversations: stack.deps.conversations,
        cards: new CardStore(stack.containers.state),
        sentKeys: new SentKeys(stack.containers.state),
        policies: withoutChannels,
        directory: stack.deps.directory,
        clock,
        config: stack.deps.config,
        security: { contacts: withoutChannels.broadestApprovers() },
      },
      stack.app.teams!.connector,
    );
    await notifier.notify({ kind: 'breaker.tripped', recipients: [], securityChannel: true, subject: 'Breaker of model-weights tripped', text: 'Standing access is only recorded.', policyId: 'model-weights', key: 'breaker:test:no-channel' });
    const toErin = (await teamsActivities(stack, { recipient: PEOPLE.erin })).filter((r) => textOf(cardOf(r)).includes('Breaker of model-weights tripped'));
    expect(toErin).toHaveLength(1);
  });
});

describe('notices to people looked up ahead (expectRecipients, a batch of expiries)', () => {
  it('reach them through one lookup, each used once and only within a minute; a notice the caller deduplicates is sent without a claim', async () => {
    const reads: string[] = [];
    const conversations: ConversationRepository = {
      forPerson: (id) => (reads.push(id), stack.deps.conversations.forPerson(id)),
      forPeople: (ids) => stack.deps.conversations.forPeople(ids),
      forChannel: (id) => stack.deps.conversations.forChannel(id),
      remember: (c, now) => stack.deps.conversations.remember(c, now),
      forget: (id) => stack.deps.conversations.forget(id),
    };
    const notifier = new TeamsNotifier(
      { requests: stack.deps.requests, grants: stack.deps.grants, conversations, cards: new CardStore(stack.containers.state), sentKeys: new SentKeys(stack.containers.state), policies: stack.deps.policies, directory: stack.deps.directory, clock, config: stack.deps.config },
      stack.app.teams!.connector,
    );
    const notice = (n: number): Notification => ({ kind: 'grant.expired', recipients: [PEOPLE.alice], subject: `Ahead ${n}`, text: `notice ${n}`, key: 'ahead:test', deduplicatedByCaller: true });
    await notifier.expectRecipients([PEOPLE.alice, PEOPLE.bob]);
    await notifier.notify(notice(1));
    expect(reads).toEqual([]);
    // Used once: the next notice reads the reference again.
    await notifier.notify(notice(2));
    expect(reads).toHaveLength(1);
    // Looked up more than a minute ago: read again.
    await notifier.expectRecipients([PEOPLE.alice]);
    clock.advance(2 * MINUTE);
    await notifier.notify(notice(3));
    expect(reads).toHaveLength(2);
    // The same key went out every time: the caller, not the notifier, keeps it to once.
    const sent = (await teamsActivities(stack, { recipient: PEOPLE.alice, operation: 'send' })).filter((r) => textOf(cardOf(r)).includes('Ahead '));
    expect(sent).toHaveLength(3);
  });
});

describe('the holder of a grant', () => {
  it('gets a Renew card before expiry; Renew opens a renewal request its approvers get cards for; then hears the grant expired', async () => {
    const { grantId } = await grantForAlice('PT1H');
    clock.advance(50 * MINUTE);
    await stack.host.runTimer('expireGrants');
    await stack.host.runTimer('expireGrants');
    const warnings = (await teamsActivities(stack, { recipient: PEOPLE.alice, operation: 'send' })).filter((r) => textOf(cardOf(r)).includes(grantId) && textOf(cardOf(r)).includes('Access ending soon'));
    expect(warnings).toHaveLength(1);
    const renewCard = cardOf(warnings[0]!);
    expect(renewCard?.actions).toEqual([expect.objectContaining({ type: 'Action.Execute', verb: 'renew', data: { grantId } })]);
    const choices = renewCard?.body.find((e) => e.type === 'Input.ChoiceSet')?.choices as Array<{ value: string }> | undefined;
    expect(choices?.map((c) => c.value)).toEqual(['PT30M', 'PT1H', 'PT2H', 'PT4H', 'PT8H']);

    const noReason = await click(stack, USERS.alice, 'renew', { grantId, duration: 'PT2H', justification: '' });
    expect(textOf(noReason.body.value)).toContain('Not renewed: A justification is required');
    expect(noReason.body.value?.actions).toHaveLength(1);
    const notHers = await click(stack, USERS.mallory, 'renew', { grantId, duration: 'PT2H', justification: 'mine now' });
    expect(textOf(notHers.body.value)).toContain('it is not yours');

    const renewed = await click(stack, USERS.alice, 'renew', { grantId, duration: 'PT2H', justification: 'two more evaluation runs' });
    expect(renewed.status).toBe(200);
    expect(textOf(renewed.body.value)).toContain('Renewal requested');
    const renewals = (await alice.get<Page<RequestDto>>('/api/requests?mine=true')).body.items.filter((r) => r.renewsGrantId === grantId);
    expect(renewals).toHaveLength(1);
    expect(renewals[0]).toMatchObject({ status: 'pending', duration: 'PT2H', justification: 'two more evaluation runs' });
    const approverCards = recordsAbout(await teamsActivities(stack, { operation: 'send' }), renewals[0]!.id).filter((r) => r.recipientObjectId !== PEOPLE.alice);
    expect(approverCards.map((r) => r.recipientObjectId).sort()).toEqual([PEOPLE.bob, PEOPLE.carol, PEOPLE.erin].sort());
    expect(textOf(cardOf(approverCards[0]!))).toContain(`grant ${grantId}`);

    clock.advance(15 * MINUTE);
    await stack.host.runTimer('expireGrants');
    const ended = (await teamsActivities(stack, { recipient: PEOPLE.alice, operation: 'send' })).filter((r) => textOf(cardOf(r)).includes('Access ended: Storage Blob Data Reader') && textOf(cardOf(r)).includes('(expired)'));
    expect(ended.length).toBeGreaterThanOrEqual(1);
  });

  it('hears its expiry once however often the timer runs and the end is repeated; the grant notes the notice, the coverage entry stays as an expired one', async () => {
    const { grantId } = await grantForAlice('PT30M');
    clock.advance(31 * MINUTE);
    await stack.host.runTimer('expireGrants');
    await stack.host.runTimer('expireGrants');
    const grant = await stack.deps.grants.mustGet(grantId);
    expect(grant).toMatchObject({ status: 'expired', pendingRemoval: false });
    expect(grant.endNoticeSentAt).toBeDefined();
    // A later end of the same grant (a retried timer, a late event) sends nothing more.
    await endGrant(stack.deps, grantId, 'expired', { id: 'test' }, 'again');
    const ended = (await teamsActivities(stack, { recipient: PEOPLE.alice, operation: 'send' })).filter((r) => textOf(cardOf(r)).includes(`ended (expired): expired at ${grant.expiresAt}`));
    expect(ended).toHaveLength(1);
    // Expiry did not rewrite the coverage document: the entry is past its expiry, which the enforcer counts as absent.
    const coverage = await stack.deps.grants.readCoverage(grant.principalId, grant.roleDefinitionId, grant.scope);
    expect(coverage?.entries.find((e) => e.grantId === grantId)?.expiresAt).toBe(grant.expiresAt);
    expect(liveEntries(coverage, clock.now()).some((e) => e.grantId === grantId)).toBe(false);
  });

  it('hears when an admin revokes the grant', async () => {
    const { grantId } = await grantForAlice('PT4H');
    expect((await erin.post(`/api/grants/${grantId}/revoke`, { reason: 'project over' })).status).toBe(200);
    const revoked = (await teamsActivities(stack, { recipient: PEOPLE.alice })).filter((r) => textOf(cardOf(r)).includes('(revoked): project over'));
    expect(revoked).toHaveLength(1);
  });
});

describe('a request nobody decides', () => {
  it('times out: every card shows it and the requester hears it', async () => {
    const created = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'evaluate checkpoint 43' });
    const id: string = created.body.id;
    const cards = recordsAbout(await teamsActivities(stack, { operation: 'send' }), id).filter((r) => r.recipientObjectId !== PEOPLE.alice);
    expect(cards).toHaveLength(3);
    clock.advance(25 * 60 * MINUTE);
    await stack.host.runTimer('expireGrants');
    const all = await teamsActivities(stack);
    for (const sent of cards) {
      const records = all.filter((r) => r.activityId === sent.activityId);
      const card = cardOf(records[records.length - 1]!);
      expect(textOf(card)).toContain('without enough approvals');
      expect(card?.actions).toBeUndefined();
    }
    expect(recordsAbout(all, id).some((r) => r.recipientObjectId === PEOPLE.alice && textOf(cardOf(r)).includes('Request timed out'))).toBe(true);
  });
});
