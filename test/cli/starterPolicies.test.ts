/**
 * The way onto a real tenant, end to end against the simulated one:
 * `access-manager policies init` reads the subscription through ARM with the person's own
 * credential and writes audit-mode policies exempting today's standing access; AccessManager
 * then runs on them (a second local stack, those policies loaded), judges nothing that stood
 * before as a violation, records what enforce mode would revoke, and
 * `access-manager report would-revoke` reports exactly that.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIo } from '../../cli/main';
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import { DEFAULT_LOCAL_USER, LOCAL_USERS } from '../../dev/localUsers';
import { simCredential } from '../../dev/sim';
import { GROUPS, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG } from '../../dev/tenant';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { reconcile } from '../../shared/usecases/enforcement';
import { assignOutOfBand, auditRecords, ROLE, settle, until } from '../e2e/enforcementHelpers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const NOW = new Date('2026-12-01T09:00:00Z');
let dir: string;

/** Access that stood before AccessManager, besides the seed's (the same ids in both stacks). */
const STANDING = [
  { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.carol, name: '6a1f0c2e-0000-4000-8000-000000000001' },
  { scope: `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`, roleGuid: ROLE.blobContributor, principalId: PEOPLE.bob, name: '6a1f0c2e-0000-4000-8000-000000000002' },
  { scope: RG.research, roleGuid: ROLE.kvSecretsUser, principalId: PEOPLE.alice, name: '6a1f0c2e-0000-4000-8000-000000000003' },
];

/** Every assignment at or under the subscription: the seed's and STANDING. */
function standingIn(stack: LocalStack) {
  return [...stack.sim.state.assignments.values()].filter((a) => a.properties.scope.toLowerCase().startsWith(`/subscriptions/${LOCAL_SUBSCRIPTION_ID}`));
}

async function addStanding(stack: LocalStack): Promise<void> {
  for (const a of STANDING) await assignOutOfBand(stack, { ...a, events: false });
}

async function cli(args: string[], io: Partial<CliIo> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: {},
    localUsers: { users: LOCAL_USERS, defaultLogin: DEFAULT_LOCAL_USER },
    ...io,
  });
  return { code, stdout, stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'am-policies-init-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('policies init against the simulated tenant', () => {
  let source: LocalStack;
  beforeAll(async () => {
    source = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
    await addStanding(source);
  }, 60_000);
  afterAll(async () => {
    await source?.stop();
  });

  const init = (out: string, extra: string[] = []) =>
    cli(['policies', 'init', '--subscription', LOCAL_SUBSCRIPTION_ID, '--out', out, '--arm-endpoint', source.sim.url, '--approver-group', GROUPS.securityTeam, '--format', 'json', ...extra], {
      // The person running it: erin, signed in (az login in real life), reading ARM as herself.
      credentials: () => simCredential(PEOPLE.erin),
      armCa: source.ca,
      now: () => NOW,
    });

  test('writes audit-mode policies for the subscription and every group holding data, exempting every standing assignment once', async () => {
    const run = await init(join(dir, 'policies'));
    expect(run.code).toBe(0);
    const written = JSON.parse(run.stdout) as { policies: Array<{ file: string; scope: string; exemptions: number }>; removed: string[] };
    expect(written.policies.map((p) => p.scope).sort()).toEqual([`/subscriptions/${LOCAL_SUBSCRIPTION_ID}`, RG.research, RG.sandbox, RG.weights].sort());
    expect(run.stderr).toMatch(/in audit mode with \d+ exemption\(s\)/);

    const set = await loadPolicies(join(dir, 'policies'));
    expect(set.policies.every((p) => p.mode === 'audit')).toBe(true);
    const standing = standingIn(source);
    expect(standing.map((a) => a.name)).toEqual(expect.arrayContaining(STANDING.map((a) => a.name)));
    for (const a of standing) expect({ id: a.id, exempt: set.isExemptAssignment(a.id, a.properties.scope) }).toEqual({ id: a.id, exempt: true });
    const exemptions = set.policies.flatMap((p) => p.exemptions.assignments);
    expect(exemptions).toHaveLength(standing.length);
    expect(readFileSync(join(dir, 'policies', 'rg-weights.yaml'), 'utf8')).toMatch(/Standing on 2026-12-01: Storage Blob Data Reader for User/);
  });

  test('never overwrites policies without --force; with it, replaces them', async () => {
    const out = join(dir, 'replace');
    await init(out);
    writeFileSync(join(out, 'old-policy.yaml'), 'id: old\n');
    const refused = await init(out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds 5 policy file\(s\).*--force/);
    const replaced = await init(out, ['--force']);
    expect(replaced.code).toBe(0);
    expect(readdirSync(out)).not.toContain('old-policy.yaml');
  });

  test('bad ids are refused before anything is read', async () => {
    const run = await cli(['policies', 'init', '--subscription', 'research', '--out', join(dir, 'x')], { credentials: () => simCredential(PEOPLE.erin) });
    expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/"research" is not a GUID/) });
  });
});

describe('a week in audit mode on the starter policies, and the would-revoke report', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, policiesDir: join(dir, 'policies') });
    await addStanding(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('standing access is judged exempt, a new unapproved assignment would be revoked, and the report lists exactly it', async () => {
    const report = await reconcile(stack.deps);
    expect(report).toMatchObject({ wouldRevoke: 0, revoked: 0, failures: 0 });
    const standing = standingIn(stack).length;
    expect(report).toMatchObject({ assignments: standing, exempt: standing });

    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobContributor, principalId: PEOPLE.mallory });
    await settle(stack);
    await until(async () => (await auditRecords(stack, { action: 'assignment.wouldRevoke' })).length > 0, 'the would-revoke record');

    const run = await cli(['--url', stack.url, '--as', 'erin', '--format', 'json', 'report', 'would-revoke', '--since', '7d'], { now: () => new Date() });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { rows: Array<{ assignmentId: string; policyId: string; role: string; principalId: string }>; byPolicy: unknown[] };
    expect(result.rows).toEqual([expect.objectContaining({ policyId: 'rg-weights', role: 'Storage Blob Data Contributor', principalId: PEOPLE.mallory })]);
    expect(result.rows[0]!.assignmentId.toLowerCase()).toBe(rogue.id.toLowerCase());
    expect(result.byPolicy).toEqual([{ policyId: 'rg-weights', assignments: 1 }]);

    const table = await cli(['--url', stack.url, '--as', 'erin', '--format', 'table', 'report', 'would-revoke', '--since', '7d']);
    expect(table.stdout).toMatch(/enforce mode would have revoked 1 assignment:\n {2}rg-weights: 1 assignment/);
    const before = await cli(['--url', stack.url, '--as', 'erin', '--format', 'table', 'report', 'would-revoke', '--since', '2026-01-01T00:00:00Z', '--until', '2026-01-02T00:00:00Z']);
    expect(before.stdout).toMatch(/^Nothing would have been revoked/);
  }, 60_000);

  test('only admins read the report', async () => {
    const run = await cli(['--url', stack.url, '--as', 'alice', 'report', 'would-revoke']);
    expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/AdminOnly/) });
  });
});
