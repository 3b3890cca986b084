/**
 * The admin CLI end to end against a running local instance (embedded Cosmos, simulated Azure):
 * `main(argv, io)` in-process for every command, plus one spawned run of the built bin when
 * `dist/` exists.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import { main, type CliIo } from '../../cli/main';
import { DEFAULT_LOCAL_USER, LOCAL_USERS } from '../../dev/localUsers';
import { findBuiltInRole } from '../../shared/domain/roles';
import { PEOPLE, RG } from '../../dev/tenant';
import { apiAs, outOfBandAssignment } from '../access/localTenant';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: LocalStack;
let workDir: string;
let weightsRequestId: string;
let sandboxRequestId: string;

async function cli(args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    env: { ACCESSMANAGER_URL: stack.url, ...options.env },
    localUsers: { users: LOCAL_USERS, defaultLogin: DEFAULT_LOCAL_USER },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const json = <T>(run: Run): T => {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
};

/** Parses RFC 4180 CSV (quoted fields with commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
  workDir = mkdtempSync(join(tmpdir(), 'am-cli-'));
  const weights = await apiAs<{ id: string }>(stack, 'alice', 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'eval, "quoted", run\nline two' });
  const sandbox = await apiAs<{ id: string }>(stack, 'mallory', 'POST', '/api/requests', { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H', justification: 'scratch' });
  expect([weights.status, sandbox.status]).toEqual([201, 201]);
  weightsRequestId = weights.body.id;
  sandboxRequestId = sandbox.body.id;
  await outOfBandAssignment(stack, RG.sandbox, PEOPLE.mallory, findBuiltInRole('Reader')!.guid);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('requests', () => {
  test('list as an approver: both pending requests; table on a terminal, csv on request', async () => {
    const listed = json<{ items: { id: string; status: string }[] }>(await cli(['requests', 'list', '--as', 'bob', '--approver-me', '--status', 'pending']));
    expect(listed.items.map((r) => r.id).sort()).toEqual([weightsRequestId, sandboxRequestId].sort());

    const table = await cli(['requests', 'list', '--as', 'bob', '--approver-me'], { tty: true });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+REQUESTER\s+ROLE\s+SCOPE\s+DURATION\s+APPROVALS\s+CREATED$/);
    expect(table.stdout).toContain('0/2');

    const csv = parseCsv((await cli(['requests', 'list', '--as', 'bob', '--approver-me', '--format', 'csv'])).stdout);
    expect(csv[0]).toContain('justification');
    const weights = csv.find((r) => r[0] === weightsRequestId)!;
    expect(weights[csv[0]!.indexOf('justification')]).toBe('eval, "quoted", run\nline two');
  });

  test('approve twice (bob, carol) grants; deny with a reason ends the other', async () => {
    const first = await cli(['requests', 'approve', weightsRequestId, '--as', 'bob', '--comment', 'fine'], { tty: true });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Status:\s+pending/);
    expect(first.stdout).toMatch(/Approvals:\s+1\/2 \(bob@contoso.test: approve\)/);

    const second = json<{ status: string; grantId: string }>(await cli(['requests', 'approve', weightsRequestId, '--as', 'carol']));
    expect(second.status).toBe('approved');
    expect(second.grantId).toMatch(/^[0-9a-f-]{36}$/);

    const denied = json<{ status: string; approvals: { decision: string; comment: string }[] }>(await cli(['requests', 'deny', sandboxRequestId, '--as', 'bob', '--reason', 'not for contractors']));
    expect(denied.status).toBe('denied');
    expect(denied.approvals[0]).toMatchObject({ decision: 'deny', comment: 'not for contractors' });
    await stack.sim.events.idle();
  });

  test('deny without --reason is a usage error; approving a decided request prints the API error', async () => {
    const noReason = await cli(['requests', 'deny', sandboxRequestId, '--as', 'bob']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");

    const again = await cli(['requests', 'approve', sandboxRequestId, '--as', 'carol']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error \w+ \(HTTP 409\): /);
  });
});

describe('access list', () => {
  test("json: alice's grant with approvers and expiry, dave's baseline exempt, the sandbox write unapproved in audit mode", async () => {
    const { items } = json<{ items: { status: string; principalId: string; roleName: string; mode?: string; grant?: { approvers: { name: string }[]; expiresAt: string } }[] }>(await cli(['access', 'list']));
    const alice = items.find((i) => i.principalId === PEOPLE.alice)!;
    expect(alice.status).toBe('granted');
    expect(alice.grant!.approvers.map((a) => a.name).sort()).toEqual(['bob@contoso.test', 'carol@contoso.test']);
    expect(items.find((i) => i.principalId === PEOPLE.dave)).toMatchObject({ status: 'exempt', roleName: 'Owner' });
    expect(items.find((i) => i.principalId === PEOPLE.mallory)).toMatchObject({ status: 'unapproved', roleName: 'Reader', mode: 'audit' });
  });

  test('table with --scope: only rg-weights, with the justification in words', async () => {
    const run = await cli(['access', 'list', '--scope', RG.weights, '--format', 'table']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+PRINCIPAL\s+ROLE\s+SCOPE\s+EXPIRES\s+JUSTIFICATION$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^granted\s+alice@contoso.test\s+Storage Blob Data Reader .* \d{4}-\d\d-\d\dT\S+Z\s+grant [0-9a-f-]{36}, approved by (bob@contoso.test, carol@contoso.test|carol@contoso.test, bob@contoso.test)$/);
  });
});

describe('audit', () => {
  let all: { id: string; action: string; requestId?: string }[];

  test('query --all as json: every record, newest first; one page with a continuation hint otherwise', async () => {
    all = json<{ items: { id: string; action: string; at: string; requestId?: string }[]; continuationToken: null }>(await cli(['audit', 'query', '--all', '--limit', '3'])).items;
    const actions = all.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['request.created', 'approval.recorded', 'grant.created', 'request.denied']));
    expect(all.length).toBeGreaterThan(3);

    const page = await cli(['audit', 'query', '--limit', '2']);
    expect(page.code).toBe(0);
    const body = JSON.parse(page.stdout) as { items: { id: string }[]; continuationToken: string };
    expect(body.items.map((r) => r.id)).toEqual(all.slice(0, 2).map((r) => r.id));
    expect(page.stderr).toContain(`--continuation-token ${body.continuationToken}`);
    const next = JSON.parse((await cli(['audit', 'query', '--limit', '2', '--continuation-token', body.continuationToken])).stdout) as { items: { id: string }[] };
    expect(next.items.map((r) => r.id)).toEqual(all.slice(2, 4).map((r) => r.id));
  });

  test('query with filters, as a table and as csv', async () => {
    const table = await cli(['audit', 'query', '--request', weightsRequestId, '--action', 'approval.recorded'], { tty: true });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+ACTION\s+ACTOR\s+PRINCIPAL\s+SCOPE\s+REQUEST\s+REASON$/);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((l) => l.includes('approval.recorded') && l.includes(weightsRequestId))).toBe(true);

    const csv = parseCsv((await cli(['audit', 'query', '--principal', PEOPLE.alice, '--format', 'csv'])).stdout);
    const header = csv[0]!;
    expect(header.slice(0, 3)).toEqual(['id', 'at', 'action']);
    expect(header).toEqual(expect.arrayContaining(['prevHash', 'hash', 'reason']));
    const created = csv.find((r) => r[header.indexOf('action')] === 'request.created' && r[header.indexOf('requestId')] === weightsRequestId)!;
    expect(created[header.indexOf('reason')]).toBe('eval, "quoted", run\nline two');
    expect(csv.slice(1).every((r) => r[header.indexOf('principalId')] === PEOPLE.alice)).toBe(true);
  });

  test('a bad filter comes back as the API error, exit 1', async () => {
    const run = await cli(['audit', 'query', '--action', 'grant.teleported']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error InvalidAuditQuery \(HTTP 400\): .*action/);
  });

  test('verify: exit 0 and a one-line summary', async () => {
    const run = await cli(['audit', 'verify'], { tty: true });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    // It also says how much of the ledger lies past its last anchors (a writer of the store could still rewrite that part).
    expect(run.stdout).toMatch(/^Audit ledger verified: \d+ records in \d+ chains?, no tampering detected\. (Every record is anchored \(cosmos:state\)\.|\d+ records? in \d+ chains? lie past the last anchor \(up to [\d.]+ s\): consistent, but not yet protected against a writer of the store\.)\n$/);
    const result = json<{ ok: boolean; checked: number }>(await cli(['audit', 'verify']));
    expect(result.ok).toBe(true);
    expect(result.checked).toBeGreaterThanOrEqual(all.length);
  });

  test('export csv to a file: every page, a header, progress on stderr, no partial file left', async () => {
    const out = join(workDir, 'audit.csv');
    const run = await cli(['audit', 'export', '--format', 'csv', '--out', out, '--page-size', '2', '--progress']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]!.slice(0, 3)).toEqual(['id', 'at', 'action']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(all.map((r) => r.id));
    const pages = Math.ceil(all.length / 2);
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('Exporting audit records:'));
    expect(progress.length).toBeGreaterThanOrEqual(pages);
    expect(run.stderr).toContain(`Exported ${all.length} audit records`);
    expect(run.stderr).toContain(`to ${out} (csv)`);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  test('export on a terminal: progress rewrites one line on stderr', async () => {
    const out = join(workDir, 'audit-tty.csv');
    const run = await cli(['audit', 'export', '--out', out, '--page-size', '3'], { tty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^\rExporting audit records: 3 \(page 1\)\rExporting audit records: 6 \(page 2\)/);
    expect(run.stderr).toMatch(/\nExported \d+ audit records in \d+ pages to .*audit-tty\.csv \(csv\)\.\n$/);
    expect(parseCsv(readFileSync(out, 'utf8')).length - 1).toBe(all.length);
  });

  test('export json with filters to stdout: a JSON array of the matching records, quiet without a terminal', async () => {
    const run = await cli(['audit', 'export', '--format', 'json', '--request', weightsRequestId, '--page-size', '1']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const records = JSON.parse(run.stdout) as { requestId: string; hash: string }[];
    expect(records.length).toBe(all.filter((r) => r.requestId === weightsRequestId).length);
    expect(records.every((r) => r.requestId === weightsRequestId && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  });

  test('export refuses the table format', async () => {
    const run = await cli(['audit', 'export', '--format', 'table']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('audit export writes csv or json');
  });
});

describe('suggest', () => {
  const container = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints`;

  test('table on a terminal: the need read by the model, the narrowest role first, requestable under model-weights', async () => {
    const run = await cli(['--as', 'alice', 'suggest', '--scope', RG.weights, '--need', 'read the eval checkpoints in stweights'], { tty: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Scope:  ${container}`);
    expect(run.stdout).toContain('Source: model+catalog (model gpt-4o-sim: Read as: read blobs.)');
    const rows = run.stdout.split('\n');
    const header = rows.findIndex((l) => /^#\s+ROLE\s+REQUESTABLE\s+EXTRA$/.test(l));
    expect(rows[header + 1]).toMatch(/^1\s+Storage Blob Data Reader \*\s+yes \(model-weights\)\s+1: Microsoft.Storage\/storageAccounts\/blobServices\/containers\/read$/);
  });

  test('json with operations: the API answer as is', async () => {
    const answer = json<{ source: string; items: { roleName: string }[]; requiredDataActions: string[] }>(
      await cli(['--as', 'alice', '--format', 'json', 'suggest', '--scope', container, '--data-action', 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read']),
    );
    expect(answer.source).toBe('catalog');
    expect(answer.items[0]!.roleName).toBe('Storage Blob Data Reader');
  });

  test('nothing to go on is a usage error; a misspelt operation prints the API error with the nearest names', async () => {
    const none = await cli(['--as', 'alice', 'suggest', '--scope', RG.weights]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--action, --data-action/);
    const bad = await cli(['--as', 'alice', 'suggest', '--scope', RG.weights, '--action', 'Microsoft.Storage/storageAccount/read']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error UnknownAction (HTTP 400)');
    expect(bad.stderr).toContain('Microsoft.Storage/storageAccounts/read');
  });
});

describe('errors', () => {
  test('unreachable URL: a clear message, exit 1', async () => {
    const run = await cli(['audit', 'verify', '--url', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^AccessManager is not reachable at http:\/\/127\.0\.0\.1:1: start it with npm start or pass --url/);
    expect(run.stdout).toBe('');
  });

  test('a non-admin querying the audit trail: the API error code and message, exit 1', async () => {
    const run = await cli(['audit', 'query', '--as', 'alice']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error AdminOnly (HTTP 403): This needs the AccessManager.Admin app role.');
  });

  test('a bearer token replaces the local identity headers (the local host then sees no caller: 401 with a hint)', async () => {
    const run = await cli(['access', 'list'], { env: { ACCESSMANAGER_TOKEN: 'not-a-real-token' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error \w+ \(HTTP 401\)/);
    expect(run.stderr).toContain('--token');
    const both = await cli(['access', 'list', '--token', 't', '--as', 'bob']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('either --token');
  });

  test('usage errors: unknown user, unknown command, bad format; help is exit 0', async () => {
    expect((await cli(['access', 'list', '--as', 'zed'])).stderr).toContain('is not a local-tenant user');
    const unknown = await cli(['audit', 'frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect((await cli(['audit', 'query', '--format', 'xml'])).code).toBe(1);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 API or usage error, 2 audit verification failed.');
  });
});

describe('the built bin', () => {
  const bin = join(__dirname, '..', '..', 'dist', 'dev', 'cli.js');
  const run = existsSync(bin) ? test : test.skip;
  if (!existsSync(bin)) console.warn(`Skipping the spawned CLI test: ${bin} is missing (run npx tsc -p tsconfig.json first).`);

  run('node dist/dev/cli.js audit verify exits 0 with JSON on a pipe', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, '--url', stack.url, 'audit', 'verify'], { env: { ...process.env, ACCESSMANAGER_URL: '', ACCESSMANAGER_TOKEN: '' } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true });
  });
});

describe('tampering', () => {
  test('verify exits 2 and names the altered record', async () => {
    const container = stack.containers.audit;
    const { resources } = await container.items.query<{ id: string; action: string; reason?: string }>({ query: 'SELECT * FROM c WHERE c.action = "request.denied"' }).fetchAll();
    const record = resources[0]!;
    await container.items.upsert({ ...record, reason: 'approved after all' });
    const run = await cli(['audit', 'verify', '--format', 'json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, firstBadId: record.id });
    expect(run.stderr).toContain(`verification FAILED at record ${record.id}`);
  });
});
