/**
 * `npm run smoke -- --url https://<app>`: is a deployment alive, and is its front door shut where
 * it must be? Each check is one HTTP call; all run, and the exit code is 1 if any failed.
 *   health          GET /api/health answers 200 with status "ok" (store and ARM reachable)
 *   eventgrid       the Event Grid validation handshake on /runtime/webhooks/eventgrid, with the
 *                   system key (--eventgrid-key, env EVENTGRID_KEY); with a key, also that a call
 *                   without it is refused
 *   anonymous-api   GET /api/requests without an identity is refused with 401
 *   audit           GET /api/audit?limit=1 signed in (--token, or --audience <client id> through
 *                   `az login`): 200 with a page; --local uses the local host's Easy Auth headers
 *   bot             POST /api/messages without a Bot Framework token is refused with 401
 * The Event Grid key: `az functionapp keys list -g <rg> -n <app> --query systemKeys.eventgrid_extension -o tsv`.
 */
import { randomUUID } from 'node:crypto';
import { AzureCliCredential } from '@azure/identity';
import { principalHeaders } from '../shared/domain/caller';

export interface SmokeOptions {
  url: string;
  eventGridKey?: string;
  /** How the audit query signs in: a bearer token (deployed), or Easy Auth headers (the local host only). */
  auth: { kind: 'bearer'; token: string } | { kind: 'localHeaders' };
  fetch?: typeof fetch;
}

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function call(f: typeof fetch, url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await f(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

const brief = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body) ?? '').slice(0, 300);

async function check(name: string, run: () => Promise<string>): Promise<SmokeCheck> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

function expectStatus(what: string, got: { status: number; body: unknown }, wanted: number): void {
  if (got.status !== wanted) throw new Error(`${what} answered ${got.status}, expected ${wanted}: ${brief(got.body)}`);
}

export async function runSmoke(o: SmokeOptions): Promise<SmokeCheck[]> {
  const f = o.fetch ?? fetch;
  const base = o.url.replace(/\/+$/, '');
  const webhook = (key?: string) => `${base}/runtime/webhooks/eventgrid?functionName=armEvents${key ? `&code=${encodeURIComponent(key)}` : ''}`;
  const validationCode = randomUUID();
  const handshake = JSON.stringify([
    {
      id: randomUUID(),
      topic: '/subscriptions/00000000-0000-0000-0000-000000000000',
      subject: '',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      dataVersion: '2',
      metadataVersion: '1',
      data: { validationCode, validationUrl: 'https://smoke.invalid/validate' },
    },
  ]);
  const handshakeInit: RequestInit = { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, body: handshake };

  return Promise.all([
    check('health', async () => {
      const got = await call(f, `${base}/api/health`);
      expectStatus('GET /api/health', got, 200);
      const status = (got.body as { status?: unknown } | undefined)?.status;
      if (status !== 'ok') throw new Error(`GET /api/health says ${JSON.stringify(status)}: ${brief(got.body)}`);
      return brief(got.body);
    }),
    check('eventgrid', async () => {
      const got = await call(f, webhook(o.eventGridKey), handshakeInit);
      expectStatus('the validation handshake', got, 200);
      const echoed = (got.body as { validationResponse?: unknown } | undefined)?.validationResponse;
      if (echoed !== validationCode) throw new Error(`the handshake answered ${brief(got.body)}, not the validation code`);
      if (!o.eventGridKey) return 'handshake answered (no key given: the refusal of keyless calls was not checked)';
      const keyless = await call(f, webhook(), handshakeInit);
      if (keyless.status !== 401 && keyless.status !== 403) throw new Error(`a handshake without the system key answered ${keyless.status}: the webhook must require the key`);
      return `handshake answered; without the key: ${keyless.status}`;
    }),
    check('anonymous-api', async () => {
      const got = await call(f, `${base}/api/requests`);
      expectStatus('GET /api/requests without an identity', got, 401);
      return '401 without an identity';
    }),
    check('audit', async () => {
      const headers = o.auth.kind === 'bearer' ? { authorization: `Bearer ${o.auth.token}` } : principalHeaders({ id: randomUUID(), name: 'smoke-test', roles: ['AccessManager.Admin'] });
      const got = await call(f, `${base}/api/audit?limit=1`, { headers });
      expectStatus('GET /api/audit signed in', got, 200);
      if (!Array.isArray((got.body as { items?: unknown } | undefined)?.items)) throw new Error(`GET /api/audit answered no items: ${brief(got.body)}`);
      return `200, ${(got.body as { items: unknown[] }).items.length} record(s) on the first page`;
    }),
    check('bot', async () => {
      const activity = { type: 'message', text: 'help', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/teams/', from: { id: 'smoke' }, conversation: { id: 'smoke' }, recipient: { id: 'smoke' } };
      const got = await call(f, `${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
      expectStatus('POST /api/messages without a token', got, 401);
      return '401 without a Bot Framework token';
    }),
  ]);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const url = option(args, '--url') ?? process.env.FUNCTION_APP_URL;
  if (!url) throw new Error('usage: npm run smoke -- --url https://<app> [--eventgrid-key <key>] [--token <bearer> | --audience <client id> | --local]');
  let auth: SmokeOptions['auth'];
  if (args.includes('--local')) auth = { kind: 'localHeaders' };
  else {
    let token = option(args, '--token') ?? process.env.ACCESSMANAGER_TOKEN;
    const audience = option(args, '--audience') ?? process.env.AUTH_CLIENT_ID;
    if (!token && audience) token = (await new AzureCliCredential().getToken(`${audience.replace(/\/+$/, '')}/.default`))?.token;
    if (!token) throw new Error('The audit check needs to sign in: --token <bearer>, or --audience <client id> after az login (AUTH_CLIENT_ID in the azd environment); --local against npm start.');
    auth = { kind: 'bearer', token };
  }
  const checks = await runSmoke({ url, eventGridKey: option(args, '--eventgrid-key') ?? process.env.EVENTGRID_KEY, auth });
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(14)} ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed ? `${failed} of ${checks.length} checks failed.` : `All ${checks.length} checks passed.`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`npm run smoke: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
