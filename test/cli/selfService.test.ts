/**
 * The CLI for everyone, end to end against a local instance: request, show, cancel; the default
 * request list (mine and those I may approve); grants list, renew and give back; and signing in
 * to a deployed instance through an @azure/identity credential (a test credential here: no Entra).
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main, type CliIo } from '../../cli/main';
import { clientIdOf, tokenScope, type SignInSettings } from '../../cli/signIn';
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import { DEFAULT_LOCAL_USER, LOCAL_USERS } from '../../dev/localUsers';
import { PEOPLE, RG } from '../../dev/tenant';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: LocalStack;

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string>; credentials?: CliIo['credentials'] } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    env: { ACCESSMANAGER_URL: stack?.url ?? '', ...options.env },
    localUsers: { users: LOCAL_USERS, defaultLogin: DEFAULT_LOCAL_USER },
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return { code: await main(args, io), stdout, stderr };
}

function json<T>(run: Run): T {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface RequestJson {
  id: string;
  status: string;
  requester: { id: string };
  renewsGrantId?: string;
  grantId?: string;
}

const create = (who: string, extra: string[] = []) =>
  cli(['requests', 'create', '--as', who, '--scope', RG.weights, '--role', 'Storage Blob Data Reader', '--duration', 'PT8H', '--justification', 'evaluate checkpoint 42', ...extra]);

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
}, 60_000);
afterAll(() => stack?.stop());

describe('requests', () => {
  test('create, show and cancel as alice; mallory may not see it', async () => {
    const created = json<RequestJson>(await create('alice'));
    expect(created).toMatchObject({ status: 'pending', requester: { id: PEOPLE.alice } });
    const table = await cli(['requests', 'show', created.id, '--as', 'alice'], { tty: true });
    expect(table.stdout).toMatch(/Status:\s+pending/);
    expect(table.stdout).toMatch(/Justification:\s+evaluate checkpoint 42/);
    const hidden = await cli(['requests', 'show', created.id, '--as', 'mallory']);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(/^Error RequestNotFound \(HTTP 404\)/);
    expect(json<RequestJson>(await cli(['requests', 'cancel', created.id, '--as', 'alice'])).status).toBe('cancelled');
  });

  test('a request the policy refuses prints the API’s reason, exit 1', async () => {
    const run = await cli(['requests', 'create', '--as', 'alice', '--scope', RG.weights, '--role', 'Storage Blob Data Reader', '--duration', 'P2D', '--justification', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error \w+ \(HTTP 4\d\d\): .*PT8H/);
    const missing = await cli(['requests', 'create', '--as', 'alice', '--scope', RG.weights]);
    expect(missing.stderr).toContain("required option '--role <role>' not specified");
  });

  test('list with no filter: mine and those I may approve (bob sees alice’s request waiting for him)', async () => {
    const alices = json<RequestJson>(await create('alice'));
    const bobs = json<RequestJson>(await create('bob'));
    const bobList = json<{ items: RequestJson[] }>(await cli(['requests', 'list', '--as', 'bob']));
    expect(bobList.items.map((r) => r.id)).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    const table = await cli(['requests', 'list', '--as', 'bob', '--status', 'pending'], { tty: true });
    expect(table.stdout).not.toBe('(none)\n');
    expect(table.stdout).toContain(alices.id);
    // --mine and --approver-me narrow it; --everyone is the admin's whole list.
    expect(json<{ items: RequestJson[] }>(await cli(['requests', 'list', '--as', 'bob', '--mine'])).items.map((r) => r.id)).not.toContain(alices.id);
    expect(json<{ items: RequestJson[] }>(await cli(['requests', 'list', '--as', 'bob', '--approver-me'])).items.map((r) => r.id)).not.toContain(bobs.id);
    const everyone = json<{ items: RequestJson[] }>(await cli(['requests', 'list', '--as', 'erin', '--everyone', '--limit', '200']));
    expect(everyone.items.map((r) => r.id)).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    expect((await cli(['requests', 'list', '--everyone', '--mine'])).stderr).toContain('--everyone lists every request');
  });
});

describe('grants', () => {
  test('alice lists her grant, asks to renew it, and gives it back', async () => {
    const request = json<RequestJson>(await create('alice'));
    json(await cli(['requests', 'approve', request.id, '--as', 'bob']));
    const approved = json<RequestJson>(await cli(['requests', 'approve', request.id, '--as', 'carol']));
    expect(approved.status).toBe('approved');

    const listed = json<{ items: Array<{ id: string; status: string; requestId: string }> }>(await cli(['grants', 'list', '--as', 'alice', '--status', 'active']));
    const grant = listed.items.find((g) => g.requestId === request.id)!;
    expect(grant.status).toBe('active');
    const table = await cli(['grants', 'list', '--as', 'alice'], { tty: true });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+ROLE\s+SCOPE\s+EXPIRES\s+ENDED$/);

    const renewal = json<RequestJson>(await cli(['grants', 'renew', grant.id, '--as', 'alice', '--duration', 'PT2H', '--justification', 'the eval runs longer']));
    expect(renewal).toMatchObject({ status: 'pending', renewsGrantId: grant.id });
    const notHers = await cli(['grants', 'renew', grant.id, '--as', 'mallory', '--duration', 'PT1H']);
    expect(notHers.stderr).toMatch(/^Error GrantNotFound \(HTTP 404\)/);

    const revoked = await cli(['grants', 'revoke', grant.id, '--as', 'alice', '--reason', 'done with the eval'], { tty: true });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Status:\s+revoked/);
    expect(json<{ items: Array<{ id: string }> }>(await cli(['grants', 'list', '--as', 'alice', '--status', 'active'])).items.map((g) => g.id)).not.toContain(grant.id);
    expect((await cli(['grants', 'revoke', grant.id, '--as', 'alice'])).stderr).toContain("required option '--reason <text>' not specified");
  });
});

describe('signing in to a deployed instance (--audience)', () => {
  class TestCredential implements TokenCredential {
    readonly scopes: string[] = [];
    constructor(readonly settings: SignInSettings) {}
    async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
      return { token: `token-for-${this.settings.method}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    }
  }

  test('the credential’s token for the app goes as a bearer token, never principal headers', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: [], continuationToken: null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const credentials: TestCredential[] = [];
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await cli(['requests', 'list', '--url', url, '--audience', 'api://11111111-2222-4333-8444-555555555555', '--login', 'device-code', '--tenant', 'contoso.test'], {
        credentials: (settings) => {
          const credential = new TestCredential(settings);
          credentials.push(credential);
          return credential;
        },
      });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(credentials[0]!.settings).toMatchObject({ method: 'device-code', audience: 'api://11111111-2222-4333-8444-555555555555', tenantId: 'contoso.test' });
      expect(credentials[0]!.scopes).toEqual(['api://11111111-2222-4333-8444-555555555555/.default']);
      expect(seen[0]!.authorization).toBe('Bearer token-for-device-code');
      expect(Object.keys(seen[0]!).filter((h) => h.startsWith('x-ms-client-principal'))).toEqual([]);
      expect(seen[0]!['x-accessmanager-request']).toBeUndefined();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('device code without a client id to sign in with is a usage error; --audience and --as do not mix', async () => {
    const run = await cli(['requests', 'list', '--url', 'https://am.example.net', '--audience', 'api://accessmanager.contoso.test', '--login', 'device-code']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('device-code sign-in needs the public client id');
    expect((await cli(['requests', 'list', '--audience', 'api://x', '--as', 'bob'])).stderr).toContain('either --audience');
  });

  test.each([
    ['api://11111111-2222-4333-8444-555555555555', 'api://11111111-2222-4333-8444-555555555555/.default', '11111111-2222-4333-8444-555555555555'],
    ['11111111-2222-4333-8444-555555555555', '11111111-2222-4333-8444-555555555555/.default', '11111111-2222-4333-8444-555555555555'],
    ['api://accessmanager.contoso.test/', 'api://accessmanager.contoso.test/.default', undefined],
    ['api://x/.default', 'api://x/.default', undefined],
  ])('audience %s: scope %s, client id %s', (audience, scope, clientId) => {
    expect(tokenScope(audience)).toBe(scope);
    expect(clientIdOf(audience)).toBe(clientId);
  });
});
