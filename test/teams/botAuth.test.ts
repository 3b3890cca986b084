/**
 * Who may talk to the bot. With a bot app id configured, every activity needs a Bot Framework
 * JWT for that app id, validated by the Agents SDK: here its authority points at a local key
 * server (an RSA key pair made with node:crypto, served as JWKS and OpenID configuration), so
 * real signature, audience, issuer, expiry and serviceUrl checks run. Deployed without an app
 * id, the bot refuses everything.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext } from '@azure/functions';
import type { LocalStack } from '../../dev/localStack';
import type { Deps } from '../../shared/ports/deps';
import { loadConfig } from '../../shared/config';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG } from '../../dev/tenant';
import { ClientAssertionCredential } from '@azure/identity';
import { botCredential, createTeamsRuntime } from '../../shared/adapters/teams/runtime';
import { messagesFunction } from '../../functions/http/messages';
import { simCredential } from '../../dev/sim';
import { as, startTestStack, USERS, type RequestDto } from '../e2e/helpers';
import { cardClick, cardOf, closeTeamsClient, personalActivity, postToBot, recordsAbout, teamsActivities, type Person } from './teamsHelpers';

const BOT_APP_ID = '00000000-0000-4000-8000-0000000000b1';
const KID = 'local-signing-key';

interface KeyServer {
  authority: string;
  keyFetches: number;
  close(): Promise<void>;
}

/** Serves the public key as an Entra authority does: JWKS at {authority}/discovery/v2.0/keys, and the OpenID configuration. */
async function startKeyServer(publicKey: KeyObject): Promise<KeyServer> {
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' };
  const state = { keyFetches: 0 };
  let authority = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (path === `/${LOCAL_TENANT_ID}/discovery/v2.0/keys`) {
      state.keyFetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else if (path === `/${LOCAL_TENANT_ID}/v2.0/.well-known/openid-configuration`) {
      res.end(JSON.stringify({ issuer: `${authority}/v2.0`, jwks_uri: `${authority}/discovery/v2.0/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${LOCAL_TENANT_ID}`;
  return {
    authority,
    get keyFetches() {
      return state.keyFetches;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: Record<string, unknown>, key: KeyObject, kid = KID): string {
  const unsigned = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(claims)}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
}

let stack: LocalStack;
let keys: KeyServer;
const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A token as the channel service would mint it for our bot, with `overrides` applied. */
function tokenFor(overrides: Record<string, unknown> = {}, key: KeyObject = signer.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt({ aud: BOT_APP_ID, iss: `${keys.authority}/v2.0`, serviceurl: stack.sim.teams.serviceUrl, nbf: now - 60, iat: now - 60, exp: now + 3600, ...overrides }, key);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function installation(who: Person): Record<string, unknown> {
  return { ...personalActivity(stack, who, BOT_APP_ID), type: 'installationUpdate', action: 'add' };
}

async function conversationOf(objectId: string): Promise<unknown> {
  return (await stack.containers.state.item(`conv:${objectId}`, `conv:${objectId}`).read()).resource;
}

beforeAll(async () => {
  keys = await startKeyServer(signer.publicKey);
  stack = await startTestStack({ settings: { BOT_APP_ID }, botTokenAuthority: keys.authority });
});

afterAll(async () => {
  await closeTeamsClient(stack);
  await stack?.stop();
  await keys?.close();
});

describe('with a bot app id configured', () => {
  it('an activity without a token is 401 and changes nothing (the simulator could not install the app unsigned)', async () => {
    const res = await postToBot(stack, installation(USERS.bob));
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('Unauthenticated');
    expect(await conversationOf(PEOPLE.bob)).toBeUndefined();
  });

  it.each([
    ['a malformed Authorization header', () => ({ authorization: 'Basic Ym9iOmJvYg==' }), 'invalid authorization header'],
    ['a token that is not a JWT', () => bearer('not.a.jwt'), 'invalid token'],
    ['a token signed by another key', () => bearer(tokenFor({}, stranger.privateKey)), 'invalid signature'],
    ['a token for another bot', () => bearer(tokenFor({ aud: '00000000-0000-4000-8000-0000000000b2' })), 'Audience mismatch'],
    ['an expired token', () => bearer(tokenFor({ exp: Math.floor(Date.now() / 1000) - 3600 })), 'jwt expired'],
    ['a token from an issuer nobody trusts', () => bearer(tokenFor({ iss: 'https://issuer.example/evil/v2.0' })), 'Issuer mismatch'],
  ])('%s is 401', async (_what, headers, reason) => {
    const res = await postToBot(stack, installation(USERS.bob), headers());
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toContain(reason);
    expect(await conversationOf(PEOPLE.bob)).toBeUndefined();
  });

  it('a valid token is accepted: the signing key came from the local key server', async () => {
    const res = await postToBot(stack, installation(USERS.bob), bearer(tokenFor()));
    expect(res.status).toBe(200);
    expect(await conversationOf(PEOPLE.bob)).toMatchObject({ userObjectId: PEOPLE.bob, botId: `28:${BOT_APP_ID}` });
    expect(keys.keyFetches).toBeGreaterThan(0);
  });

  it('an activity whose serviceUrl is not the one its token was issued for is refused', async () => {
    const res = await postToBot(stack, installation(USERS.carol), bearer(tokenFor({ serviceurl: 'https://smba.elsewhere.example/' })));
    expect(res.status).toBe(400);
    expect(await conversationOf(PEOPLE.carol)).toBeUndefined();
  });

  it('signed installation, cards sent with the app identity, and a signed click that approves; an unsigned click is 401', async () => {
    for (const who of [USERS.alice, USERS.carol, USERS.erin]) expect((await postToBot(stack, installation(who), bearer(tokenFor()))).status).toBe(200);
    const created = await as(stack, USERS.alice).post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'signed run' });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const sent = recordsAbout(await teamsActivities(stack, { operation: 'send' }), id);
    expect(sent.map((r) => r.recipientObjectId).sort()).toEqual([PEOPLE.bob, PEOPLE.carol, PEOPLE.erin].sort());

    const unsigned = await postToBot(stack, cardClick(stack, USERS.bob, 'approve', { requestId: id }, BOT_APP_ID));
    expect(unsigned.status).toBe(401);
    const forged = await postToBot(stack, cardClick(stack, USERS.bob, 'approve', { requestId: id }, BOT_APP_ID), bearer(tokenFor({}, stranger.privateKey)));
    expect(forged.status).toBe(401);
    expect((await as(stack, USERS.erin).get<RequestDto>(`/api/requests/${id}`)).body.approvals).toEqual([]);

    const signed = await postToBot(stack, cardClick(stack, USERS.bob, 'approve', { requestId: id }, BOT_APP_ID), bearer(tokenFor()));
    expect(signed.status).toBe(200);
    expect(JSON.stringify(signed.body.value)).toContain('You approved. 1 more approval is needed.');
    const updates = recordsAbout(await teamsActivities(stack, { operation: 'update' }), id);
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(cardOf(updates[updates.length - 1]!))).toContain('1 of 2 approvals');
  });
});

describe('deployed without a bot app id', () => {
  const azure = (extra: Record<string, string> = {}) =>
    loadConfig({
      ACCESSMANAGER_ENV: 'azure',
      AZURE_TENANT_ID: LOCAL_TENANT_ID,
      AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
      ACCESSMANAGER_PRINCIPAL_ID: PEOPLE.accessManager,
      COSMOS_ENDPOINT: 'https://cosmos.example.documents.azure.com:443/',
      ...extra,
    });

  it('has no bot at all, so nothing anonymous can get in', async () => {
    expect(createTeamsRuntime(azure(), { credential: simCredential(PEOPLE.accessManager) })).toBeUndefined();
    expect(createTeamsRuntime(azure({ BOT_APP_ID }), { credential: simCredential(PEOPLE.accessManager) })?.allowsAnonymous).toBe(false);
    // An app without a Teams runtime, as the composition root leaves it in that case.
    const handler = messagesFunction(async () => ({ deps: {} as Deps, teams: undefined, close: async () => undefined })).handler;
    const res = await handler(new HttpRequest({ method: 'POST', url: 'https://am.example/api/messages', body: { string: JSON.stringify({ type: 'message', conversation: { id: 'a:1' } }) } }), new InvocationContext());
    expect(res.status).toBe(401);
    expect((res.jsonBody as { error: { code: string } }).error.code).toBe('BotNotConfigured');
  });

  it('sends as the bot app registration through a federated credential, unless the bot is the managed identity itself', () => {
    const app = simCredential(PEOPLE.accessManager);
    expect(botCredential(azure({ BOT_APP_ID }), app)).toBeInstanceOf(ClientAssertionCredential);
    expect(botCredential(azure({ BOT_APP_ID, AZURE_CLIENT_ID: BOT_APP_ID }), app)).toBe(app);
    expect(botCredential({ ...azure({ BOT_APP_ID }), ACCESSMANAGER_ENV: 'local' }, app)).toBe(app);
  });
});
