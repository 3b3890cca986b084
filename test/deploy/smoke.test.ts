/**
 * `npm run smoke` against the local host, configured as deployed where it matters (a bot app id,
 * so activities need a Bot Framework token): every check passes; and a deployment that left a
 * door open fails the check that guards it.
 */
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import { runSmoke } from '../../deploy/smoke';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, settings: { BOT_APP_ID: '00000000-0000-4000-8000-0000000000b1' } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

test('health, the Event Grid handshake, the API refusing anonymous calls, a signed-in audit query and the bot refusing unsigned activities', async () => {
  const checks = await runSmoke({ url: stack.url, auth: { kind: 'localHeaders' } });
  expect(checks.map((c) => [c.name, c.ok])).toEqual([
    ['health', true],
    ['eventgrid', true],
    ['anonymous-api', true],
    ['audit', true],
    ['bot', true],
  ]);
});

test('an open door fails its check, with what was answered', async () => {
  // A bot that takes activities without a token, and a webhook that needs no key.
  const leaky: typeof fetch = async (input, init) => {
    const url = String(input);
    if (url.includes('/api/messages')) return new Response('', { status: 200 });
    return fetch(input, init);
  };
  const checks = await runSmoke({ url: stack.url, auth: { kind: 'localHeaders' }, eventGridKey: 'not-checked-locally', fetch: leaky });
  expect(checks.find((c) => c.name === 'bot')).toMatchObject({ ok: false, detail: expect.stringMatching(/answered 200, expected 401/) });
  expect(checks.find((c) => c.name === 'eventgrid')).toMatchObject({ ok: false, detail: expect.stringMatching(/without the system key answered 200/) });
});
