/**
 * Requesting access from Teams, end to end on the local stack: "request" in the 1:1 chat gets
 * the form card; its submit (an Action.Execute invoke carrying the inputs) creates the request
 * through the same use case as the API and answers with the request's card; a refusal comes back
 * on the form, with what was typed and the policy's reason.
 */
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE, RG } from '../../dev/tenant';
import { isRequestCommand } from '../../functions/teams/approvalBot';
import { as, startTestStack, USERS, waitFor, writeFootprint, type Page, type RequestDto } from '../e2e/helpers';
import { cardOf, click, closeTeamsClient, personalActivity, postToBot, teamsActivities, type CardJson } from './teamsHelpers';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await closeTeamsClient(stack);
  await stack?.stop();
});

const textOf = (value: unknown) => JSON.stringify(value);
const inputs = (card: CardJson | undefined) => (card?.body ?? []).filter((e) => String(e.type).startsWith('Input.')) as Array<Record<string, unknown>>;

async function say(text: string): Promise<CardJson | string> {
  const before = (await teamsActivities(stack, { recipient: PEOPLE.alice })).length;
  const res = await postToBot(stack, { ...personalActivity(stack, USERS.alice), type: 'message', text });
  expect(res.status).toBeLessThan(300);
  const reply = await waitFor(async () => (await teamsActivities(stack, { recipient: PEOPLE.alice })).slice(before).find((r) => r.operation === 'send'), `the bot's answer to "${text}"`);
  return cardOf(reply) ?? String((reply.activity as { text?: string }).text);
}

test('"request" answers with the form: where, resource, role, duration, justification, and a submit', async () => {
  const form = (await say('request')) as CardJson;
  expect(inputs(form).map((i) => [i.type, i.id])).toEqual([
    ['Input.ChoiceSet', 'scope'],
    ['Input.Text', 'resource'],
    ['Input.ChoiceSet', 'role'],
    ['Input.ChoiceSet', 'duration'],
    ['Input.Text', 'justification'],
  ]);
  const scopes = (inputs(form)[0]!.choices as Array<{ value: string }>).map((c) => c.value);
  expect(scopes).toEqual(expect.arrayContaining([RG.weights, RG.research, RG.sandbox]));
  expect(form.actions).toEqual([expect.objectContaining({ type: 'Action.Execute', verb: 'createRequest', title: 'Request access' })]);
  // Anything else still gets the help, which now names the command.
  expect(await say('hello')).toContain('Send "request"');
});

test('the submit creates the request through the use case and answers with its card', async () => {
  const answer = await click(stack, USERS.alice, 'createRequest', { scope: RG.weights, resource: '', role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'evaluate checkpoint 42' });
  expect(answer.status).toBe(200);
  const card = answer.body.value!;
  expect(textOf(card)).toContain('Your request was sent: 2 approvals are needed');
  expect(textOf(card)).toContain('Access request: Storage Blob Data Reader');
  const mine = (await as(stack, USERS.alice).get<Page<RequestDto>>('/api/requests?mine=true')).body.items;
  const created = mine.find((r) => r.justification === 'evaluate checkpoint 42')!;
  expect(created).toMatchObject({ scope: RG.weights, roleName: 'Storage Blob Data Reader', duration: 'PT8H', status: 'pending', requester: { id: PEOPLE.alice, name: USERS.alice.name } });
  expect(textOf(card)).toContain(created.id);
  // The approvers were asked, as for a request made through the API.
  await waitFor(async () => (await teamsActivities(stack, { recipient: PEOPLE.bob, operation: 'send' })).some((r) => textOf(cardOf(r)).includes(created.id)), 'bob’s approval card');
});

test('a resource inside the scope is what gets requested', async () => {
  const account = `${RG.research}/providers/Microsoft.Storage/storageAccounts/stscratch`;
  const answer = await click(stack, USERS.alice, 'createRequest', { scope: RG.research, resource: account, role: 'Storage Blob Data Contributor', duration: 'PT2H', justification: 'scratch' });
  expect(textOf(answer.body.value)).toContain('Your request was sent');
  expect(textOf(answer.body.value)).toContain(account);
});

test('a refusal comes back on the form, with the values kept and nothing written', async () => {
  const before = await writeFootprint(stack);
  const answer = await click(stack, USERS.alice, 'createRequest', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'P1D', justification: 'all day' });
  expect(answer.status).toBe(200);
  const form = answer.body.value!;
  expect(textOf(form.body[0])).toMatch(/Not sent: .*PT8H/);
  expect(Object.fromEntries(inputs(form).map((i) => [i.id, i.value]))).toMatchObject({ scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'P1D', justification: 'all day' });
  expect(await writeFootprint(stack)).toEqual(before);

  const malformed = await click(stack, USERS.alice, 'createRequest', { scope: RG.weights });
  expect(malformed.body).toMatchObject({ statusCode: 400, value: { code: 'InvalidCardAction' } });
});

test.each([
  ['request', true],
  ['Request access', true],
  ['<at>AccessManager</at> request', true],
  ['  request  ', true],
  ['requests', false],
  ['please request', false],
  [undefined, false],
])('isRequestCommand(%j) = %s', (text, expected) => expect(isRequestCommand(text)).toBe(expected));
