/**
 * The cards, as data: every card AccessManager can send, in every state a request or grant can
 * be in, parses as valid Adaptive Card JSON with the `adaptivecards` package (no parse event,
 * no validation event), and shows what each viewer needs: buttons only for an undecided
 * approver, a browser link instead of buttons for step-up roles, the refresh for late opens.
 * Also the pure decoders and formatters the bot relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { requestableCatalog } from '../../shared/domain/policy/catalog';
import { formDurations, renderRequestFormCard } from '../../shared/domain/cards/requestFormCard';
import type { AccessRequest, Approval } from '../../shared/domain/requests/model';
import { PolicySet } from '../../shared/domain/policy';
import { PEOPLE, RG } from '../../dev/tenant';
import type { AdaptiveCardJson } from '../../shared/domain/cards/adaptiveCard';
import { renderApprovalCard, requestUrl, type ApprovalCardView, type CardNotice } from '../../shared/domain/cards/approvalCard';
import { decodeCardAction } from '../../shared/domain/cards/cardAction';
import { cardDecisionRefusal, decisionNotice } from '../../shared/usecases/cardActions';
import { formatInstant, humanDuration, timeLeft } from '../../shared/domain/cards/cardFormat';
import { referenceFromActivity } from '../../functions/teams/conversationReference';
import { noticeCard, refusalCard, renewalRequestedCard, renewCard, renewCardForGrant, renewChoices } from '../../shared/domain/cards/notificationCards';
import { ValidationError } from '../../shared/domain/errors';

// The package's `lib` build is extension-less ES modules that Node cannot load; its UMD bundle is the same parser.
const AC = createRequire(__filename)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

const NOW = new Date('2030-05-01T10:00:00.000Z');
const BASE = 'https://am.contoso.test';
const READER = '/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';

/** Fails with every parse and validation message the Adaptive Cards parser reports. */
function expectValidCard(json: AdaptiveCardJson): void {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  card.parse(json, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const event of card.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  expect(problems).toEqual([]);
  expect(json.version).toBe('1.4');
}

function approval(who: 'bob' | 'carol' | 'erin', decision: 'approve' | 'deny' = 'approve', comment?: string): Approval {
  return { approverId: PEOPLE[who], approverName: `${who}@contoso.test`, decision, at: '2030-05-01T09:30:00.000Z', ...(comment ? { comment } : {}) };
}

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: '3f2b8c1e-0000-4000-8000-000000000001',
    requester: { id: PEOPLE.alice, name: 'alice@contoso.test' },
    principalId: PEOPLE.alice,
    scope: RG.weights,
    roleDefinitionId: READER,
    roleName: 'Storage Blob Data Reader',
    duration: 'PT8H',
    durationMs: 8 * 3600_000,
    justification: 'evaluate checkpoint 42',
    policyId: 'model-weights',
    status: 'pending',
    approvals: [],
    requiredApprovals: 2,
    approverGroups: ['00000000-0000-4000-8000-000000000021'],
    approverUsers: [],
    exception: false,
    createdAt: '2030-05-01T08:00:00.000Z',
    expiresAt: '2030-05-01T12:15:00.000Z',
    approvalChannel: 'teams',
    ...overrides,
  };
}

/** A guardrail exception request, as the exception rule drafts it. */
function guardrailException(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return request({
    kind: 'guardrailException',
    guardrail: { resourceKind: 'storageAccount', property: 'allowSharedKeyAccess', allowedValue: true, requiredValue: false, compensatingControl: 'keys rotated daily' },
    scope: `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`,
    roleDefinitionId: '',
    roleName: 'Guardrail exception: allowSharedKeyAccess = true',
    duration: 'P1D',
    durationMs: 86_400_000,
    justification: 'the legacy exporter signs with an account key until Friday',
    ...overrides,
  });
}

function view(r: AccessRequest, extra: Partial<ApprovalCardView> = {}): AdaptiveCardJson {
  return renderApprovalCard({ request: r, now: NOW, publicBaseUrl: BASE, viewer: { kind: 'person', objectId: PEOPLE.bob }, refreshUserIds: ['29:bob'], ...extra });
}

const actionsOf = (c: AdaptiveCardJson) => (c.actions ?? []) as Array<{ type: string; verb?: string; url?: string; data?: Record<string, string> }>;
const allText = (c: AdaptiveCardJson) => JSON.stringify(c.body);

const STATES: Array<[string, AccessRequest]> = [
  ['pending, no approvals', request()],
  ['pending, one approval with a comment', request({ approvals: [approval('carol', 'approve', 'ok for the eval')] })],
  ['pending, step-up (approvalChannel web)', request({ approvalChannel: 'web' })],
  ['pending exception on behalf of mallory', request({ exception: true, principalId: PEOPLE.mallory, policyId: 'research', justification: '' })],
  ['pending renewal', request({ renewsGrantId: 'a1b2c3d4-0000-4000-8000-000000000009' })],
  ['approved, granting', request({ status: 'approved', approvals: [approval('carol'), approval('erin')], resolvedAt: NOW.toISOString(), grantId: 'g-1', fulfilled: false })],
  ['approved and granted', request({ status: 'approved', approvals: [approval('carol'), approval('erin')], resolvedAt: NOW.toISOString(), grantId: 'g-1', fulfilled: true })],
  ['denied', request({ status: 'denied', approvals: [approval('carol', 'deny', 'not this week')], resolvedAt: NOW.toISOString() })],
  ['cancelled', request({ status: 'cancelled', resolvedAt: NOW.toISOString() })],
  ['timed out (stored)', request({ status: 'timedOut', resolvedAt: NOW.toISOString(), expiresAt: '2030-05-01T09:00:00.000Z' })],
  ['timed out (past its deadline, not yet stored)', request({ expiresAt: '2030-05-01T09:59:00.000Z' })],
  ['failed', request({ status: 'failed', approvals: [approval('carol'), approval('erin')], failureReason: 'ARM refused the role assignment (403)' })],
  ['pending guardrail exception', guardrailException()],
  ['approved guardrail exception, in force', guardrailException({ status: 'approved', approvals: [approval('carol'), approval('erin')], resolvedAt: NOW.toISOString(), grantId: 'x-1', fulfilled: true })],
];

const NOTICES: CardNotice[] = [
  { tone: 'good', text: 'You approved. 1 more approval is needed.' },
  { tone: 'attention', text: 'Your approval was not recorded: you cannot approve your own request.' },
  { tone: 'warning', text: 'It could not be recorded right now. Try again in a minute.' },
];

describe('approval cards are valid Adaptive Cards in every state, for every viewer', () => {
  const viewers: Array<[string, Partial<ApprovalCardView>]> = [
    ['an undecided approver', {}],
    ['an approver who decided', { viewer: { kind: 'person', objectId: PEOPLE.carol } }],
    ['the requester', { viewer: { kind: 'person', objectId: PEOPLE.alice } }],
    ['a channel', { viewer: { kind: 'channel' }, refreshUserIds: ['29:bob', '29:carol', '29:erin'] }],
  ];
  for (const [state, r] of STATES) {
    for (const [who, extra] of viewers) {
      it(`${state}, seen by ${who}`, () => expectValidCard(view(r, extra)));
    }
  }
  for (const notice of NOTICES) {
    it(`with a ${notice.tone} notice`, () => expectValidCard(view(request(), { notice })));
  }
});

describe('what each viewer sees', () => {
  it('an undecided approver gets the comment box, Approve and Deny carrying the request id, and the refresh', () => {
    const c = view(request({ approvals: [approval('carol', 'approve', 'ok for the eval')] }));
    expect(actionsOf(c).map((a) => [a.type, a.verb, a.data?.requestId])).toEqual([
      ['Action.Execute', 'approve', request().id],
      ['Action.Execute', 'deny', request().id],
    ]);
    expect(c.body.some((e) => e.type === 'Input.Text' && e.id === 'comment')).toBe(true);
    expect(c.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refreshCard', title: 'Refresh', data: { requestId: request().id } }, userIds: ['29:bob'] });
    const shown = allText(c);
    for (const fact of ['alice@contoso.test', 'Storage Blob Data Reader', 'rg-weights', RG.weights, '8 hours (PT8H)', 'evaluate checkpoint 42', 'model-weights', 'carol@contoso.test', 'ok for the eval', 'Still needed: 1 more approval.', '2 hours 15 minutes left']) {
      expect(shown).toContain(fact);
    }
    expect(shown).toContain('Waiting for approval: 1 of 2 approvals');
  });

  it('a step-up role has no Approve button, only a link to the request in the browser', () => {
    const c = view(request({ approvalChannel: 'web' }));
    expect(actionsOf(c)).toEqual([{ type: 'Action.OpenUrl', title: 'Approve in the browser', url: `${BASE}/approvals/${request().id}` }]);
    expect(c.body.some((e) => e.type === 'Input.Text')).toBe(false);
    expect(allText(c)).toContain('step-up');
  });

  it('an approver who decided, the requester and every resolved state get no buttons', () => {
    expect(actionsOf(view(request({ approvals: [approval('bob')] })))).toEqual([]);
    expect(allText(view(request({ approvals: [approval('bob')] })))).toContain('You approved this at 2030-05-01 09:30 UTC');
    expect(actionsOf(view(request(), { viewer: { kind: 'person', objectId: PEOPLE.alice } }))).toEqual([]);
    for (const [state, r] of STATES.filter(([, r]) => r.status !== 'pending' || Date.parse(r.expiresAt) <= NOW.getTime())) {
      expect([state, actionsOf(view(r))]).toEqual([state, []]);
    }
  });

  it('the status line says how each request ended', () => {
    const line = (r: AccessRequest) => allText(view(r));
    expect(line(STATES[6]![1])).toContain('Approved: access granted (grant g-1)');
    expect(line(STATES[5]![1])).toContain('Approved: granting access now');
    expect(line(STATES[7]![1])).toContain('Denied by carol@contoso.test: not this week');
    expect(line(STATES[8]![1])).toContain('Cancelled by the requester');
    expect(line(STATES[10]![1])).toContain('Timed out at 2030-05-01 09:59 UTC without enough approvals');
    expect(line(STATES[11]![1])).toContain('ARM refused the role assignment (403)');
  });

  it('a guardrail exception shows the setting, the value, what the guardrail requires and the compensating control; approvers decide it like any request', () => {
    const card = view(guardrailException());
    const text = allText(card);
    expect(text).toContain('Guardrail exception: allowSharedKeyAccess = true');
    expect(text).toContain('allowSharedKeyAccess may be true (the guardrail requires false)');
    expect(text).toContain('keys rotated daily');
    expect(text).not.toContain('Access request:');
    expect(actionsOf(card).map((a) => a.verb)).toEqual(['approve', 'deny']);
    expect(allText(view(guardrailException({ status: 'approved', resolvedAt: NOW.toISOString(), grantId: 'x-1', fulfilled: true })))).toContain('Approved: the exception is in force');
  });

  it('refresh lists at most 60 users (the Teams limit), each once', () => {
    const ids = Array.from({ length: 70 }, (_, i) => `29:user-${i}`);
    expect(view(request(), { viewer: { kind: 'channel' }, refreshUserIds: [...ids, ...ids] }).refresh?.userIds).toHaveLength(60);
  });
});

describe('the other cards are valid Adaptive Cards too', () => {
  const grant = { id: 'g-1', roleName: 'Storage Blob Data Reader', scope: RG.weights, expiresAt: '2030-05-01T10:15:00.000Z', status: 'active' as const };

  it('notices, with and without a link and tone', () => {
    expectValidCard(noticeCard({ subject: 'Access granted: Storage Blob Data Reader', text: 'It is yours until 18:00.', tone: 'good', link: { title: 'Open the request', url: requestUrl(BASE, 'r-1') } }));
    expectValidCard(noticeCard({ subject: 'Enforcement paused for model-weights', text: 'The breaker tripped.' }));
    expectValidCard(refusalCard('You are not an approver of request r-1.'));
    expectValidCard(renewalRequestedCard(request({ renewsGrantId: 'g-1', duration: 'PT4H', durationMs: 4 * 3600_000 }), BASE));
  });

  it('the renewal card offers the durations the policy allows, with a Renew action', () => {
    const choices = renewChoices(undefined, 8 * 3600_000);
    expect(choices.map((c) => c.value)).toEqual(['PT30M', 'PT1H', 'PT2H', 'PT4H', 'PT8H']);
    expect(renewChoices(60 * 60_000, 3 * 3600_000).map((c) => c.value)).toEqual(['PT1H', 'PT2H', 'PT3H']);
    const c = renewCard({ grant, now: NOW, choices, preferred: 'PT8H', justificationRequired: true });
    expectValidCard(c);
    expect(actionsOf(c)).toEqual([{ type: 'Action.Execute', verb: 'renew', title: 'Renew', data: { grantId: 'g-1' }, style: 'positive' }]);
    expect(c.body.find((e) => e.type === 'Input.ChoiceSet')).toMatchObject({ id: 'duration', value: 'PT8H' });
    expect(allText(c)).toContain('15 minutes left');
  });

  it('a grant that cannot be renewed, or has ended, gets no Renew action', () => {
    const notRenewable = renewCard({ grant, now: NOW, choices: [], justificationRequired: false });
    const ended = renewCard({ grant: { ...grant, status: 'expired' }, now: NOW, choices: renewChoices(undefined, 3600_000), justificationRequired: false });
    const refused = renewCard({ grant, now: NOW, choices: renewChoices(undefined, 3600_000), justificationRequired: false, notice: { tone: 'attention', text: 'Not renewed: justification required.' } });
    for (const c of [notRenewable, ended, refused]) expectValidCard(c);
    expect(actionsOf(notRenewable)).toEqual([]);
    expect(actionsOf(ended)).toEqual([]);
    expect(actionsOf(refused)).toHaveLength(1);
  });

  it('renewCardForGrant reads renewability and limits from the governing policy', () => {
    const policies = PolicySet.fromSources([
      {
        file: 'weights.yaml',
        data: {
          id: 'model-weights',
          description: 'weights',
          scope: RG.weights,
          mode: 'enforce',
          roles: [{ role: 'Storage Blob Data Reader', maxDuration: 'PT2H', approvals: 1, approvers: { groups: ['00000000-0000-4000-8000-000000000021'] } }],
        },
      },
    ]);
    const full = { ...grant, type: 'grant' as const, requestId: 'r', requestIds: [], principalId: PEOPLE.alice, roleDefinitionId: READER, scopeKey: RG.weights.toLowerCase(), policyId: 'model-weights', assignmentId: 'a', startsAt: '2030-05-01T09:15:00.000Z', requester: { id: PEOPLE.alice, name: 'alice' }, approvers: [] };
    const c = renewCardForGrant(policies, full, NOW);
    expectValidCard(c);
    const choiceSet = c.body.find((e) => e.type === 'Input.ChoiceSet') as unknown as { choices: Array<{ value: string }>; value: string };
    expect(choiceSet.choices.map((x) => x.value)).toEqual(['PT30M', 'PT1H', 'PT2H']);
    expect(choiceSet.value).toBe('PT1H');
  });
});

describe('decoding card actions (what Teams posts on a click)', () => {
  const execute = (verb: string, data: Record<string, unknown>) => ({ action: { type: 'Action.Execute', verb, data } });

  it.each([
    ['approve with a comment', execute('approve', { requestId: 'r-1', comment: '  fine  ' }), { verb: 'approve', requestId: 'r-1', comment: 'fine' }],
    ['approve with an empty comment', execute('approve', { requestId: 'r-1', comment: '   ' }), { verb: 'approve', requestId: 'r-1' }],
    ['deny', execute('deny', { requestId: 'r-1', comment: 'no' }), { verb: 'deny', requestId: 'r-1', comment: 'no' }],
    ['refresh', execute('refreshCard', { requestId: 'r-1' }), { verb: 'refreshCard', requestId: 'r-1' }],
    ['renew', execute('renew', { grantId: 'g-1', duration: 'PT2H', justification: 'more runs' }), { verb: 'renew', grantId: 'g-1', duration: 'PT2H', justification: 'more runs' }],
  ])('%s', (_name, value, expected) => {
    expect(decodeCardAction(value)).toEqual(expected);
  });

  it.each([
    ['no action', {}],
    ['not Action.Execute', { action: { type: 'Action.Submit', verb: 'approve', data: { requestId: 'r-1' } } }],
    ['an unknown verb', execute('delete', { requestId: 'r-1' })],
    ['no request id', execute('approve', {})],
    ['a request id with path characters', execute('approve', { requestId: '../grants/x' })],
    ['a comment that is not text', execute('approve', { requestId: 'r-1', comment: 42 })],
    ['a renewal without a duration', execute('renew', { grantId: 'g-1' })],
  ])('refuses %s with a ValidationError', (_name, value) => {
    expect(() => decodeCardAction(value)).toThrow(ValidationError);
  });
});

describe('pure decisions of the click handler', () => {
  it('step-up roles cannot be decided from a card', () => {
    expect(cardDecisionRefusal(request({ approvalChannel: 'web' }))?.code).toBe('StepUpRequired');
    expect(cardDecisionRefusal(request())).toBeUndefined();
  });

  it('the confirmation says what happens next', () => {
    expect(decisionNotice(request({ approvals: [approval('bob')] }), 'approve').text).toBe('You approved. 1 more approval is needed.');
    expect(decisionNotice(request({ status: 'approved', fulfilled: true }), 'approve').text).toContain('access has been granted');
    expect(decisionNotice(request({ status: 'approved', fulfilled: false }), 'approve').text).toContain('access is being granted');
    expect(decisionNotice(request({ status: 'denied' }), 'deny').tone).toBe('attention');
  });
});

describe('conversation references captured from activities', () => {
  const personal = {
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    id: 'f:activity-1',
    conversation: { id: 'a:1on1', conversationType: 'personal', tenantId: 'tenant-1' },
    from: { id: '29:bob', name: 'Bob', aadObjectId: PEOPLE.bob.toUpperCase() },
    recipient: { id: '28:bot' },
  };

  it('a 1:1 activity gives the person (object id lower-cased) and where to reach them, without its activity id', () => {
    const captured = referenceFromActivity(personal);
    expect(captured).toEqual({
      kind: 'person',
      objectId: PEOPLE.bob,
      target: { serviceUrl: personal.serviceUrl, conversationId: 'a:1on1', conversationType: 'personal', botId: '28:bot', userId: '29:bob', userName: 'Bob', userObjectId: PEOPLE.bob, tenantId: 'tenant-1' },
    });
    expect(JSON.stringify(captured)).not.toContain('f:activity-1');
  });

  it('a channel activity gives the channel; group chats and malformed activities give nothing', () => {
    expect(referenceFromActivity({ ...personal, conversation: { id: '19:ch;messageid=1', conversationType: 'channel' }, channelData: { channel: { id: '19:ch@thread.tacv2' }, tenant: { id: 't' } } })).toEqual({
      kind: 'channel',
      channelId: '19:ch@thread.tacv2',
      target: { serviceUrl: personal.serviceUrl, conversationId: '19:ch@thread.tacv2', conversationType: 'channel', botId: '28:bot', tenantId: 't' },
    });
    expect(referenceFromActivity({ ...personal, conversation: { id: '19:g', conversationType: 'groupChat' } })).toBeUndefined();
    expect(referenceFromActivity({ ...personal, serviceUrl: undefined })).toBeUndefined();
    expect(referenceFromActivity({ ...personal, serviceUrl: 'javascript:alert(1)' })).toBeUndefined();
    expect(referenceFromActivity({ ...personal, from: { id: '29:x', aadObjectId: 'not-a-guid' } })).toBeUndefined();
  });
});

describe('how cards write time', () => {
  it.each([
    [30_000, 'less than a minute'],
    [60_000, '1 minute'],
    [45 * 60_000, '45 minutes'],
    [8 * 3600_000, '8 hours'],
    [(2 * 60 + 15) * 60_000, '2 hours 15 minutes'],
    [26 * 3600_000 + 5 * 60_000, '1 day 2 hours'],
    [7 * 86_400_000, '7 days'],
  ])('%d ms is "%s"', (ms, expected) => expect(humanDuration(ms)).toBe(expected));

  it('time left and instants', () => {
    expect(timeLeft('2030-05-01T12:15:00.000Z', NOW)).toBe('2 hours 15 minutes left (until 2030-05-01 12:15 UTC)');
    expect(timeLeft('2030-05-01T09:00:00.000Z', NOW)).toBe('passed at 2030-05-01 09:00 UTC');
    expect(formatInstant('not a date')).toBe('not a date');
  });
});

describe('the request form card', () => {
  const dir = join(__dirname, '..', '..', 'policies');
  const catalog = requestableCatalog(PolicySet.fromSources(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }))).policies);

  test('valid Adaptive Card JSON, empty and after a refusal (values kept, the reason on top)', () => {
    expectValidCard(renderRequestFormCard({ catalog }));
    const refused = renderRequestFormCard({ catalog, values: { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'x' }, notice: { tone: 'attention', text: 'Not sent: too long' } });
    expectValidCard(refused);
    expect(JSON.stringify(refused.body[0])).toContain('Not sent: too long');
    expect(decodeCardAction({ action: { type: 'Action.Execute', verb: 'createRequest', data: { scope: RG.weights, role: 'Reader', duration: 'PT1H', justification: '  ' } } })).toEqual({
      verb: 'createRequest',
      scope: RG.weights,
      role: 'Reader',
      duration: 'PT1H',
      justification: '',
    });
  });

  test('durations: the usual ladder up to the longest any policy allows', () => {
    expect(formDurations(catalog)).toEqual(['PT30M', 'PT1H', 'PT2H', 'PT4H', 'PT8H', 'P1D']);
  });
});
