/**
 * The deployable package (deploy/package.ts), built here and loaded in a fresh Node process as the
 * Functions worker would load it (deploy/loadPackage.ts stands in for the worker's
 * `@azure/functions-core`):
 * - its zip holds what Flex Consumption runs, bundled, and stays small;
 * - it registers exactly what the build's entry point registers, which is the table;
 * - it runs against the local stack with the deployed configuration: azure mode, no credential
 *   override (DefaultAzureCredential gets its token from the simulator's App Service managed
 *   identity endpoint), certificates trusted the Node way, policies from the package itself.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { buildPackage, type PackageResult } from '../../deploy/package';
import type { Invocation, LoadReport } from '../../deploy/loadPackage';
import { functionTable } from '../../functions/table';
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import { ACCESS_MANAGER_APP_ID } from '../../dev/sim/seed';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE } from '../../dev/tenant';
import { rawWith } from '../events/fixtures';
import { assignOutOfBand, exists, ROLE } from '../e2e/enforcementHelpers';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const loader = join(root, 'dist', 'deploy', 'loadPackage.js');

let work: string;
let pkg: PackageResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'accessmanager-package-'));
  pkg = await buildPackage({ outDir: work });
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function load(entry: string, invocations: Invocation[] = [], env: Record<string, string> = {}): Promise<LoadReport> {
  const file = join(work, `invocations-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(invocations));
  const { stdout } = await run(process.execPath, [loader, entry, file], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadReport;
}

test('the zip holds host.json, a package.json whose main is the bundle, the policies and the portal, and nothing to install', () => {
  const entries = unzipSync(readFileSync(pkg.zip));
  const names = Object.keys(entries).sort();
  expect(names).toEqual(pkg.files);
  expect(names).toEqual(expect.arrayContaining(['host.json', 'package.json', 'main.js', 'app.js', 'functions.json', 'portal/app.js', 'portal/app.css', 'policies/model-weights.yaml']));
  expect(names.filter((n) => n.startsWith('node_modules/'))).toEqual([]);
  const manifest = JSON.parse(Buffer.from(entries['package.json']!).toString('utf8')) as Record<string, unknown>;
  expect(manifest).toMatchObject({ main: 'main.js' });
  expect(manifest).not.toHaveProperty('dependencies');
  expect(JSON.parse(Buffer.from(entries['host.json']!).toString('utf8'))).toEqual(JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')));
  expect(pkg.zipBytes).toBeLessThanOrEqual(15 * 1024 * 1024);
});

test('the package registers exactly what the build registers: every function of the table, with the same triggers', async () => {
  const [packaged, built] = await Promise.all([load(join(pkg.dir, 'main.js')), load(join(root, 'dist', 'functions', 'index.js'))]);
  const byName = (r: LoadReport) => [...r.registered].sort((a, b) => a.name.localeCompare(b.name));
  expect(byName(packaged)).toEqual(byName(built));
  expect(packaged.registered.map((r) => r.name).sort()).toEqual(functionTable(() => Promise.reject(new Error('unused'))).map((f) => f.name).sort());
  const trigger = (name: string) => Object.values(packaged.registered.find((r) => r.name === name)!.bindings).find((b) => b.direction === 'in')!;
  expect(trigger('armEvents')).toMatchObject({ type: 'eventGridTrigger' });
  expect(trigger('reconcile')).toMatchObject({ type: 'timerTrigger', schedule: '0 */15 * * * *' });
  expect(trigger('queryAudit')).toMatchObject({ type: 'httpTrigger', route: 'api/audit', methods: ['GET'], authLevel: 'anonymous' });
});

describe('against the local stack, configured as deployed', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('health answers, and an unapproved role assignment is revoked, through the bundle', async () => {
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, stack.ca);
    const rogue = await assignOutOfBand(stack, {
      scope: `/subscriptions/${LOCAL_SUBSCRIPTION_ID}/resourceGroups/rg-weights`,
      roleGuid: ROLE.blobReader,
      principalId: PEOPLE.mallory,
      events: false,
    });
    const event = rawWith('role-assignment-write.eventgrid', {
      id: 'package-test-1',
      subject: rogue.id,
      data: { ...(rawWith('role-assignment-write.eventgrid').data as Record<string, unknown>), resourceUri: rogue.id },
    });
    const report = await load(
      join(pkg.dir, 'main.js'),
      [
        { name: 'health', kind: 'http', method: 'GET', url: 'https://accessmanager.test/api/health' },
        { name: 'armEvents', kind: 'eventGrid', event },
      ],
      {
        ACCESSMANAGER_ENV: 'azure',
        AZURE_TENANT_ID: LOCAL_TENANT_ID,
        AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
        ACCESSMANAGER_PRINCIPAL_ID: PEOPLE.accessManager,
        AZURE_CLIENT_ID: ACCESS_MANAGER_APP_ID,
        IDENTITY_ENDPOINT: stack.sim.managedIdentity.endpoint,
        IDENTITY_HEADER: stack.sim.managedIdentity.header,
        COSMOS_ENDPOINT: stack.cosmos!.endpoint,
        COSMOS_KEY: stack.cosmos!.key,
        ARM_ENDPOINT: stack.sim.url,
        GRAPH_ENDPOINT: stack.sim.url,
        NODE_EXTRA_CA_CERTS: caFile,
      },
    );
    const [health, enforcement] = report.results;
    expect(health).toMatchObject({ name: 'health', status: 200, body: { status: 'ok', mode: 'azure', store: { ok: true }, arm: { ok: true }, policies: 4 } });
    expect(enforcement).toMatchObject({ name: 'armEvents' });
    expect(enforcement!.error).toBeUndefined();
    expect(exists(stack, rogue.id)).toBe(false);
  }, 90_000);
});
