/**
 * Approving from Teams, end to end: the local stack (embedded Cosmos, simulated tenant and
 * Teams connector, local host) with the app installed for everyone. Clicks are posted to
 * /api/messages as the Teams service posts them; what people were shown is read back from the
 * simulator's record of the connector (GET /sim/teams/activities).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { LocalStack } from '../../dev/localStack';
import type { TeamsActivityRecord } from '../../dev/sim';
import { grantIdFor } from '../../shared/domain/grants/grant';
import { PEOPLE, RG } from '../../dev/tenant';
import { as, assignmentsFor, auditOf, copyPolicies, startTestStack, USERS, type ApiClient, type GrantDto, type Page, type RequestDto } from '../e2e/helpers';
import { cardClick, cardOf, click, closeTeamsClient, personalActivity, postToBot, recordsAbout, teamsActivities } from './teamsHelpers';

let stack: LocalStack;
let cleanupPolicies: () => Promise<void>;
let alice: ApiClient, carol: ApiClient, erin: ApiClient;
const APPROVERS = [PEOPLE.bob, PEOPLE.carol, PEOPLE.erin].sort();
const READER_GUID = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';

beforeAll(async () => {
  // Writing to model weights needs step-up approval in the browser in this copy of the seed policies.
  const policies = await copyPolicies();
  cleanupPolicies = policies.cleanup;
  const file = join(policies.dir, 'model-weights.yaml');
  const weights = parse(await readFile(file, 'utf8')) as { roles: Array<{ role: string; approvalChannel?: string }> };
  weights.roles.find((r) => r.role === 'Storage Blob Data Contributor')!.approvalChannel = 'web';
  await writeFile(file, stringify(weights));
  stack = await startTestStack({ policiesDir: policies.dir });
  alice = as(stack, USERS.alice);
  carol = as(stack, USERS.carol);
  erin = as(stack, USERS.erin);
});

afterAll(async () => {
  await closeTeamsClient(stack);
  await stack?.stop();
  await cleanupPolicies?.();
});

async function newRequest(role = 'Storage Blob Data Reader', duration = 'PT8H'): Promise<RequestDto> {
  const res = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role, duration, justification: 'evaluate checkpoint 42' });
  expect(res.status).toBe(201);
  return res.body;
}

/** The card sent to each approver for the request (alice, the requester, only gets notices), by recipient. */
async function sentCards(requestId: string): Promise<Map<string, TeamsActivityRecord>> {
  const sends = recordsAbout(await teamsActivities(stack, { operation: 'send' }), requestId).filter((r) => r.recipientObjectId !== PEOPLE.alice);
  return new Map(sends.map((r) => [r.recipientObjectId!, r]));
}

/** What a person sees now in a sent activity: its last send or update. */
async function latest(activityId: string): Promise<TeamsActivityRecord> {
  const records = (await teamsActivities(stack)).filter((r) => r.activityId === activityId);
  return records[records.length - 1]!;
}

const textOf = (value: unknown) => JSON.stringify(value);

describe('approving from cards', () => {
  it('installation left a conversation reference (without an activity id) for every person', async () => {
    for (const id of [PEOPLE.alice, PEOPLE.bob, PEOPLE.carol, PEOPLE.erin, PEOPLE.mallory]) {
      const { resource } = await stack.containers.state.item(`conv:${id}`, `conv:${id}`).read();
      expect(resource).toMatchObject({ conversationId: stack.sim.teams.conversationIdFor(id), serviceUrl: stack.sim.teams.serviceUrl, userObjectId: id });
      expect(JSON.stringify(resource)).not.toContain('activityId');
    }
  });

  it('bob and carol approve alice’s request from their cards: the grant is created and every card ends resolved', async () => {
    const { id } = await newRequest();
    const cards = await sentCards(id);
    expect([...cards.keys()].sort()).toEqual(APPROVERS);
    for (const record of cards.values()) {
      expect(record.replyToId).toBeUndefined();
      expect(cardOf(record)?.actions?.map((a) => a.verb)).toEqual(['approve', 'deny']);
    }
    const { resource: stored } = await stack.containers.state.item(`cards:${id}`, `cards:${id}`).read();
    expect((stored as { cards: Array<{ activityId: string }> }).cards.map((c) => c.activityId).sort()).toEqual([...cards.values()].map((r) => r.activityId).sort());

    const bob = await click(stack, USERS.bob, 'approve', { requestId: id, comment: 'ok for the eval' });
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(textOf(bob.body.value)).toContain('You approved. 1 more approval is needed.');
    expect(bob.body.value?.actions).toBeUndefined();
    // Every card now shows bob's approval; only bob's lost its buttons.
    for (const [who, record] of cards) {
      const now = await latest(record.activityId);
      expect(now.operation).toBe('update');
      expect(textOf(cardOf(now))).toContain('Waiting for approval: 1 of 2 approvals');
      expect(cardOf(now)?.actions?.length ?? 0).toBe(who === PEOPLE.bob ? 0 : 2);
    }

    const carolClick = await click(stack, USERS.carol, 'approve', { requestId: id });
    expect(carolClick.status).toBe(200);
    expect(textOf(carolClick.body.value)).toContain('access has been granted');

    const request = (await erin.get<RequestDto>(`/api/requests/${id}`)).body;
    expect(request).toMatchObject({ status: 'approved', grantId: grantIdFor(id) });
    expect(request.approvals.map((a) => [a.approverId, a.approverName])).toEqual([
      [PEOPLE.bob, USERS.bob.name],
      [PEOPLE.carol, USERS.carol.name],
    ]);
    expect(request.approvals[0]!.comment).toBe('ok for the eval');
    const grants = (await alice.get<Page<GrantDto>>('/api/grants')).body.items.filter((g) => g.requestId === id);
    expect(grants).toHaveLength(1);
    expect([...stack.sim.state.assignments.values()].filter((a) => a.name === grantIdFor(id))).toHaveLength(1);

    for (const record of cards.values()) {
      const now = await latest(record.activityId);
      expect(textOf(cardOf(now))).toContain('Approved: access granted');
      expect(cardOf(now)?.actions).toBeUndefined();
    }
    // alice heard that it was approved and granted, in her own chat.
    const toAlice = recordsAbout(await teamsActivities(stack, { recipient: PEOPLE.alice, operation: 'send' }), id).map((r) => textOf(cardOf(r)));
    expect(toAlice.some((t) => t.includes('Request approved'))).toBe(true);
    expect(toAlice.some((t) => t.includes('Access granted'))).toBe(true);
  });

  it('refuses alice on her own request, mallory, a second click by bob and a denial without reason, saying why, and records nothing', async () => {
    const { id } = await newRequest();
    const own = await click(stack, USERS.alice, 'approve', { requestId: id });
    expect(own.status).toBe(200);
    expect(textOf(own.body.value)).toContain('Your approval was not recorded: You cannot approve or deny a request for your own access');
    expect(textOf(own.body.value)).toContain('evaluate checkpoint 42');

    const mallory = await click(stack, USERS.mallory, 'approve', { requestId: id });
    expect(mallory.status).toBe(200);
    expect(textOf(mallory.body.value)).toContain(`You are not an approver of request ${id}`);
    expect(textOf(mallory.body.value)).not.toContain('evaluate checkpoint 42');

    expect((await click(stack, USERS.bob, 'approve', { requestId: id })).status).toBe(200);
    const again = await click(stack, USERS.bob, 'approve', { requestId: id });
    expect(textOf(again.body.value)).toContain(`You already decided on request ${id}`);

    const noReason = await click(stack, USERS.erin, 'deny', { requestId: id, comment: '  ' });
    expect(textOf(noReason.body.value)).toContain('Your denial was not recorded: A denial needs a reason');
    expect(noReason.body.value?.actions?.map((a) => a.verb)).toEqual(['approve', 'deny']);

    const request = (await erin.get<RequestDto>(`/api/requests/${id}`)).body;
    expect(request.status).toBe('pending');
    expect(request.approvals.map((a) => a.approverId)).toEqual([PEOPLE.bob]);

    expect((await click(stack, USERS.carol, 'approve', { requestId: id })).status).toBe(200);
    const late = await click(stack, USERS.bob, 'approve', { requestId: id });
    expect(textOf(late.body.value)).toContain(`Request ${id} is already approved`);
  });

  it('a denial from a card closes the request; every card and the requester say so', async () => {
    const { id } = await newRequest();
    const cards = await sentCards(id);
    const denied = await click(stack, USERS.carol, 'deny', { requestId: id, comment: 'not this week' });
    expect(textOf(denied.body.value)).toContain('You denied this request');
    expect((await erin.get<RequestDto>(`/api/requests/${id}`)).body.status).toBe('denied');
    for (const record of cards.values()) expect(textOf(cardOf(await latest(record.activityId)))).toContain('Denied by carol@contoso.test: not this week');
    const toAlice = recordsAbout(await teamsActivities(stack, { recipient: PEOPLE.alice }), id).map((r) => textOf(cardOf(r)));
    expect(toAlice.some((t) => t.includes('Request denied'))).toBe(true);
  });

  it('a cancelled request updates every card', async () => {
    const { id } = await newRequest();
    const cards = await sentCards(id);
    expect((await alice.post(`/api/requests/${id}/cancel`)).status).toBe(200);
    for (const record of cards.values()) {
      const card = cardOf(await latest(record.activityId));
      expect(textOf(card)).toContain('Cancelled by the requester');
      expect(card?.actions).toBeUndefined();
    }
  });

  it('a step-up role: cards carry only a link to the browser, and a forged approve is refused', async () => {
    const { id } = await newRequest('Storage Blob Data Contributor', 'PT1H');
    const cards = await sentCards(id);
    expect([...cards.keys()].sort()).toEqual(APPROVERS);
    for (const record of cards.values()) {
      expect(cardOf(record)?.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Approve in the browser', url: `${stack.deps.config.PUBLIC_BASE_URL}/approvals/${id}` }]);
    }
    const forged = await click(stack, USERS.bob, 'approve', { requestId: id });
    expect(textOf(forged.body.value)).toContain('needs step-up approval');
    expect((await erin.get<RequestDto>(`/api/requests/${id}`)).body.approvals).toEqual([]);
    // The browser (the API, behind the tenant's sign-in policies) is where it is approved.
    expect((await carol.post(`/api/requests/${id}/approve`, { comment: 'after MFA' })).status).toBe(200);
  });

  it('a refresh shows an approver the card as it stands, and a stranger nothing about the request', async () => {
    const { id } = await newRequest();
    await carol.post(`/api/requests/${id}/approve`);
    const bob = await click(stack, USERS.bob, 'refreshCard', { requestId: id });
    expect(bob.status).toBe(200);
    expect(textOf(bob.body.value)).toContain('Waiting for approval: 1 of 2 approvals');
    expect(bob.body.value?.refresh?.userIds).toEqual([`29:sim-${PEOPLE.bob}`]);
    const mallory = await click(stack, USERS.mallory, 'refreshCard', { requestId: id });
    expect(textOf(mallory.body.value)).not.toContain('evaluate checkpoint 42');
    expect(textOf(mallory.body.value)).toContain('you are not its requester or one of its approvers');
  });
});

describe('a race between a card and the API', () => {
  it('bob approves on his card while carol approves through the API: one grant, both approvals recorded', async () => {
    const { id } = await newRequest();
    const [card, api] = await Promise.all([click(stack, USERS.bob, 'approve', { requestId: id, comment: 'from Teams' }), carol.post(`/api/requests/${id}/approve`, { comment: 'from the API' })]);
    expect([card.status, api.status]).toEqual([200, 200]);
    const request = (await erin.get<RequestDto>(`/api/requests/${id}`)).body;
    expect(request.status).toBe('approved');
    expect(request.approvals.map((a) => a.approverId).sort()).toEqual([PEOPLE.bob, PEOPLE.carol].sort());
    const grants = (await alice.get<Page<GrantDto>>('/api/grants')).body.items.filter((g) => g.requestId === id);
    expect(grants.map((g) => g.id)).toEqual([grantIdFor(id)]);
    // Earlier tests left alice an assignment for this role and scope: grants share it, none is doubled.
    expect(assignmentsFor(stack, PEOPLE.alice, READER_GUID, RG.weights)).toHaveLength(1);
    const audit = await auditOf(stack, id);
    expect(audit.filter((r) => r.action === 'approval.recorded')).toHaveLength(2);
    expect(audit.filter((r) => r.action === 'grant.created')).toHaveLength(1);
    // Both racers' card updates are done by now; the last word on every card is the resolved state.
    for (const record of (await sentCards(id)).values()) expect(textOf(cardOf(await latest(record.activityId)))).toContain('Approved: access granted');
  });
});

describe('the endpoint', () => {
  it('answers an empty body (the Playground sends one on connect) with 400, not a crash', async () => {
    const res = await postToBot(stack, undefined);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('EmptyBody');
  });

  it('refuses malformed activities with 400 and a message', async () => {
    expect((await postToBot(stack, '{not json')).status).toBe(400);
    const noType = await postToBot(stack, { conversation: { id: 'a:1' } });
    expect(noType.status).toBe(400);
    expect(noType.body.error?.message).toContain('type');
    const noClicker = await postToBot(stack, { ...cardClick(stack, USERS.bob, 'approve', { requestId: 'r-1' }), from: { id: '29:x' } });
    expect(noClicker.status).toBe(400);
    expect(noClicker.body.value?.code).toBe('NoClicker');
    const unknownVerb = await click(stack, USERS.bob, 'delete', { requestId: 'r-1' });
    expect(unknownVerb.status).toBe(400);
    expect(unknownVerb.body.value?.message).toContain('Unknown card action');
  });

  it('a click on a request that does not exist gets a card saying so', async () => {
    const res = await click(stack, USERS.bob, 'approve', { requestId: '00000000-0000-4000-8000-00000000dead' });
    expect(res.status).toBe(200);
    expect(textOf(res.body.value)).toContain('does not exist');
  });

  it('answers a message with help, in that conversation, and forgets a person when the app is removed', async () => {
    const res = await postToBot(stack, { ...personalActivity(stack, USERS.mallory), type: 'message', text: 'hi' });
    expect(res.status).toBe(200);
    const replies = await teamsActivities(stack, { recipient: PEOPLE.mallory });
    expect(replies[replies.length - 1]?.activity?.text).toContain('AccessManager sends you approval cards');

    expect((await postToBot(stack, { ...personalActivity(stack, USERS.mallory), type: 'installationUpdate', action: 'remove' })).status).toBe(200);
    const item = stack.containers.state.item(`conv:${PEOPLE.mallory}`, `conv:${PEOPLE.mallory}`);
    expect((await item.read()).resource).toBeUndefined();
    expect((await postToBot(stack, { ...personalActivity(stack, USERS.mallory), type: 'installationUpdate', action: 'add' })).status).toBe(200);
    expect((await item.read()).resource).toBeDefined();
  });
});
