/**
 * `npm run demo`: a narrated walk-through against a fresh local instance started in this
 * process, driven over HTTP exactly as users drive it (Easy Auth headers, the simulated ARM's
 * REST API, the Functions host's admin endpoint): request -> approvals -> grant -> rogue
 * assignment revoked -> expiry -> audit query, every line stamped with its elapsed time.
 * Any expectation that does not hold stops the demo with a message saying which one.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { Agent } from 'undici';
import { z } from 'zod';
import { roleAssignmentId, roleDefinitionGuid, roleDefinitionId, scopeKey } from '../shared/domain/armIds';
import { ManualClock } from '../shared/domain/clock';
import { principalHeaders } from '../shared/domain/caller';
import { findBuiltInRole } from '../shared/domain/roles';
import { GROUPS, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from './tenant';
import { startLocalStack } from './localStack';
import { simCredential } from './sim';
import { LOCAL_USER } from './localUsers';

/** Where the narration goes: stdout for `npm run demo`, an array in tests. */
export interface DemoIo {
  writeLine(line: string): void;
}

export interface DemoTiming {
  step: string;
  ms: number;
}

export interface DemoReport {
  requestId: string;
  grantId: string;
  /** From dave's PUT to the enforcer's delete, as seen in the simulated ARM. */
  rogueRevokedMs: number;
  timings: DemoTiming[];
  totalMs: number;
}

/** An expectation of the walk-through that did not hold: the demo stops and says which. */
export class DemoExpectationFailed extends Error {
  override readonly name = 'DemoExpectationFailed';
}

interface DemoUser {
  id: string;
  name: string;
  roles?: string[];
}

const USERS = LOCAL_USER;

/** Short names for ids in the narration. */
const DISPLAY_NAMES = new Map<string, string>([
  ...Object.entries(PEOPLE).map(([name, id]): [string, string] => [id, name === 'accessManager' ? 'AccessManager' : name]),
  [GROUPS.weightsApprovers, 'weights-approvers'],
  [GROUPS.securityTeam, 'security-team'],
]);

const ROLE_NAME = 'Storage Blob Data Reader';
const DURATION = 'PT8H';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const POLL_TIMEOUT_MS = 5_000;
const HTTP_TIMEOUT_MS = 10_000;

function displayName(id: string | undefined): string {
  if (!id) return '?';
  return DISPLAY_NAMES.get(id.toLowerCase()) ?? id;
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

function lastSegment(scope: string): string {
  return scope.split('/').filter(Boolean).at(-1) ?? scope;
}

function expect(condition: unknown, what: string): asserts condition {
  if (!condition) throw new DemoExpectationFailed(what);
}

/** The parts of the API's answers (API.md) the demo reads; decoding them turns a contract break into a clear failure. */
const requestView = z.object({
  id: z.string(),
  status: z.string(),
  policyId: z.string(),
  requiredApprovals: z.number(),
  approverGroups: z.array(z.string()),
  approvals: z.array(z.object({ approverId: z.string() })),
  grantId: z.string().optional(),
});
const grantView = z.object({
  id: z.string(),
  status: z.string(),
  assignmentId: z.string(),
  startsAt: z.string(),
  expiresAt: z.string(),
  endedAt: z.string().optional(),
});
const auditView = z.object({
  at: z.string(),
  action: z.string(),
  actor: z.object({ id: z.string().optional(), name: z.string().optional() }),
  principalId: z.string().optional(),
  assignmentId: z.string().optional(),
  policyId: z.string().optional(),
  mode: z.string().optional(),
  reason: z.string().optional(),
});
const pageOf = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item) });
const verifyView = z.object({ ok: z.boolean(), checked: z.number() });
type GrantView = z.infer<typeof grantView>;

/** An HTTP client of the local host signed in as `user` through the Easy Auth headers; every answer is checked and decoded. */
function apiAs(baseUrl: string, user: DemoUser) {
  const headers = principalHeaders(user);
  const send = async <T extends z.ZodTypeAny>(method: string, path: string, body: unknown, expected: number, schema: T, what: string): Promise<z.infer<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: reported as text below.
    }
    if (res.status !== expected) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const detail = error ? `${error.code}: ${error.message}` : text.slice(0, 300);
      throw new DemoExpectationFailed(`${what}: expected HTTP ${expected}, got ${res.status} (${detail})`);
    }
    const decoded = schema.safeParse(parsed);
    if (!decoded.success) {
      const issues = decoded.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      throw new DemoExpectationFailed(`${what}: the answer does not have the shape API.md promises (${issues.join('; ')})`);
    }
    return decoded.data;
  };
  return {
    get: <T extends z.ZodTypeAny>(path: string, schema: T, what: string) => send('GET', path, undefined, 200, schema, what),
    post: <T extends z.ZodTypeAny>(path: string, body: unknown, expected: number, schema: T, what: string) => send('POST', path, body, expected, schema, what),
  };
}

type ApiClient = ReturnType<typeof apiAs>;

/** A grant as its holder lists it. */
async function grantAsListed(holder: ApiClient, grantId: string, status?: string): Promise<GrantView | undefined> {
  const page = await holder.get(`/api/grants${status ? `?status=${status}` : ''}`, pageOf(grantView), 'listing grants');
  return page.items.find((g) => g.id === grantId);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, intervalMs: number, timeoutMs = POLL_TIMEOUT_MS): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new DemoExpectationFailed(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Fixed-width columns; the last column is left unpadded. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Audit text with the local tenant's ids replaced by names, so a line reads at a glance. */
function humanize(text: string): string {
  let out = text.replace(new RegExp(`${SUBSCRIPTION_SCOPE}/resourceGroups/`, 'gi'), '');
  for (const [id, name] of DISPLAY_NAMES) out = out.split(id).join(name);
  return out;
}

const LIFECYCLE = ['request.created', 'approval.recorded', 'request.denied', 'request.cancelled', 'grant.created', 'grant.renewed', 'grant.revoked', 'grant.expired'];

function lifecycleRank(action: unknown): number {
  const rank = LIFECYCLE.indexOf(String(action));
  return rank === -1 ? LIFECYCLE.length : rank;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** Runs the whole walk-through; resolves with its figures, rejects with DemoExpectationFailed (or the underlying error). */
export async function runDemo(io: DemoIo): Promise<DemoReport> {
  const began = performance.now();
  const elapsed = () => Math.round(performance.now() - began);
  const say = (text: string) => io.writeLine(`[${String(elapsed()).padStart(6)} ms] ${text}`.trimEnd());
  const timings: DemoTiming[] = [];
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    timings.push({ step, ms: Math.round(performance.now() - start) });
    return result;
  };

  const role = findBuiltInRole(ROLE_NAME);
  if (!role) throw new DemoExpectationFailed(`the built-in role ${ROLE_NAME} is unknown`);
  // AccessManager's clock only: the simulated Azure keeps real time.
  const clock = new ManualClock(new Date());

  say('AccessManager demo: a fresh local instance, driven over HTTP like its users drive it');
  const stack = await timed('start the local stack', () => startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, clock }));
  const armAgent = new Agent({ connect: { ca: stack.ca } });
  try {
    say(`stack up: host ${stack.url}, simulated Azure ${stack.sim.url}, embedded Cosmos DB ${stack.cosmos?.endpoint ?? '(external)'}`);
    const alice = apiAs(stack.url, USERS.alice);
    const bob = apiAs(stack.url, USERS.bob);
    const carol = apiAs(stack.url, USERS.carol);
    const erin = apiAs(stack.url, USERS.erin);
    // How a security engineer looks at Azure: the real ARM SDK, signed in as erin.
    const arm = new AuthorizationManagementClient(simCredential(USERS.erin.id), LOCAL_SUBSCRIPTION_ID, { endpoint: stack.sim.url, tlsOptions: { ca: stack.ca } });

    // (a) The request.
    say('');
    say(`(a) alice requests ${ROLE_NAME} on rg-weights for ${DURATION}`);
    const justification = 'evaluate checkpoint 42 against the held-out set';
    const request = await timed('(a) create request', () =>
      alice.post('/api/requests', { scope: RG.weights, role: ROLE_NAME, duration: DURATION, justification }, 201, requestView, 'alice creating the request'),
    );
    expect(request.status === 'pending', `the new request should be pending, it is ${request.status}`);
    expect(request.policyId === 'model-weights', `rg-weights should be governed by model-weights, got ${request.policyId}`);
    expect(request.requiredApprovals === 2, `model-weights should require 2 approvals, the request says ${request.requiredApprovals}`);
    const policy = stack.deps.policies.byId(request.policyId);
    const policyRole = policy?.roles.find((r) => r.roleDefinitionGuid === role.guid);
    say(`    POST /api/requests -> 201, request ${shortId(request.id)} pending, justification "${justification}"`);
    say(
      `    policy ${request.policyId} (${policy?.mode ?? '?'}, ${policy?.kind ?? '?'}; max ${policyRole?.maxDuration ?? '?'}): ` +
        `${request.requiredApprovals} distinct approvals from ${request.approverGroups.map(displayName).join(', ')}`,
    );

    // (b) Two approvals.
    say('');
    say('(b) approvals');
    // People take minutes to answer; moving the clock keeps the audit trail's times apart.
    clock.advance(7 * MINUTE_MS);
    const first = await timed('(b) approval 1 of 2', () => bob.post(`/api/requests/${request.id}/approve`, { comment: 'ok for the eval' }, 200, requestView, 'bob approving'));
    expect(first.status === 'pending' && first.approvals.length === 1, `after bob the request should be pending with 1 approval, it is ${first.status} with ${first.approvals.length}`);
    say(`    bob approves   -> ${first.status}, 1 of ${request.requiredApprovals}`);
    clock.advance(4 * MINUTE_MS);
    const second = await timed('(b) approval 2 of 2 + grant', () => carol.post(`/api/requests/${request.id}/approve`, { comment: 'approved' }, 200, requestView, 'carol approving'));
    expect(second.status === 'approved' && second.grantId !== undefined, `after carol the request should be approved with a grant, it is ${second.status}`);
    const grantId = second.grantId;
    const grant = await grantAsListed(alice, grantId, 'active');
    expect(grant, `alice's active grants should include ${grantId}`);
    const grantedForMs = Date.parse(grant.expiresAt) - Date.parse(grant.startsAt);
    expect(grantedForMs === 8 * HOUR_MS, `the grant should last 8 h, it lasts ${grantedForMs} ms`);
    say(`    carol approves -> approved, 2 of ${request.requiredApprovals}; grant ${shortId(grantId)} active until ${grant.expiresAt} (8 h from the last approval)`);

    // (c) The role assignment in Azure.
    say('');
    say('(c) the role assignment in the simulated ARM (read with @azure/arm-authorization as erin)');
    const live = await timed('(c) read the assignment from ARM', () => arm.roleAssignments.getById(grant.assignmentId));
    expect(live.principalId?.toLowerCase() === USERS.alice.id, `the assignment should name alice, it names ${live.principalId}`);
    expect(roleDefinitionGuid(live.roleDefinitionId ?? '') === role.guid, `the assignment should carry ${ROLE_NAME}, it carries ${live.roleDefinitionId}`);
    say(`    ${live.name}: ${ROLE_NAME} for ${displayName(live.principalId)} at ${lastSegment(live.scope ?? '')}, created by ${displayName(live.createdBy)}`);
    // The write came back as an Event Grid event; the enforcer must recognise its own grant and leave it.
    await stack.sim.events.idle();
    expect(stack.sim.state.assignments.has(grant.assignmentId), 'the enforcer removed the approved assignment after its write event');
    say('    its write event reached the enforcer: covered by the grant, left alone');

    // (d) An out-of-band assignment.
    say('');
    say('(d) dave (subscription Owner) gives mallory the same role directly in ARM, bypassing AccessManager');
    const rogueName = randomUUID();
    const rogueId = roleAssignmentId(RG.weights, rogueName);
    const putStarted = performance.now();
    const put = await fetch(`${stack.sim.url}${rogueId}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-sim-caller': USERS.dave.id },
      body: JSON.stringify({ properties: { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, role.guid), principalId: USERS.mallory.id, principalType: 'User' } }),
      dispatcher: armAgent,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    } as RequestInit);
    const putAnswer = await put.text();
    expect(put.status === 201, `the simulated ARM should accept dave's PUT with 201, it answered ${put.status}: ${putAnswer.slice(0, 300)}`);
    say(`    PUT ${lastSegment(RG.weights)}/.../roleAssignments/${shortId(rogueName)} as dave -> 201`);
    await waitFor(() => !stack.sim.state.assignments.has(rogueId), "the enforcer's revocation of mallory's assignment", 2);
    const rogueRevokedMs = Math.round(performance.now() - putStarted);
    timings.push({ step: '(d) rogue assignment revoked', ms: rogueRevokedMs });
    say(`    revoked by the enforcer ${rogueRevokedMs} ms after dave's PUT (ARM event -> armEvents -> ARM delete)`);
    // The revocation is recorded once ARM confirmed the delete: a moment after the assignment is gone.
    const revocation = await timed('(d) audit query for the revocation', () =>
      waitFor(
        async () =>
          (await erin.get(`/api/audit?principalId=${USERS.mallory.id}&action=assignment.revoked&limit=10`, pageOf(auditView), 'erin querying the audit for the revocation')).items.find(
            (r) => scopeKey(r.assignmentId ?? '') === scopeKey(rogueId),
          ),
        `an assignment.revoked record for ${rogueId} in the audit`,
        5,
      ),
    );
    expect(revocation.actor.id?.toLowerCase() === USERS.dave.id, `the revocation record should name dave as the actor, it names ${JSON.stringify(revocation.actor)}`);
    expect(revocation.principalId?.toLowerCase() === USERS.mallory.id, `the revocation record should name mallory, it names ${revocation.principalId}`);
    say(`    audit: ${revocation.action} (${revocation.mode}, policy ${revocation.policyId}): made by ${revocation.actor.name ?? displayName(revocation.actor.id)} for ${displayName(revocation.principalId)}`);
    say(`    reason: ${humanize(revocation.reason ?? '(none)')}`);

    // (e) Expiry.
    say('');
    say('(e) expiry: AccessManager\'s clock moves past the 8 h, then the expireGrants timer runs');
    await stack.sim.events.idle();
    clock.set(new Date(Date.parse(grant.expiresAt) + MINUTE_MS));
    say(`    clock set to ${clock.now().toISOString()}, one minute past the grant's expiry`);
    const expiryStarted = performance.now();
    const accepted = await fetch(`${stack.url}/admin/functions/expireGrants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: '' }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await accepted.arrayBuffer();
    expect(accepted.status === 202, `POST /admin/functions/expireGrants should answer 202, it answered ${accepted.status}`);
    say('    POST /admin/functions/expireGrants -> 202');
    const ended = await waitFor(
      async () => {
        const g = await grantAsListed(alice, grantId);
        return g?.status === 'expired' ? g : undefined;
      },
      `the expiry of grant ${grantId}`,
      10,
    );
    // The timer records grant.expired after ending the grant; the run is over when the audit shows it.
    await waitFor(
      async () => (await erin.get(`/api/audit?requestId=${request.id}&action=grant.expired&limit=1`, pageOf(auditView), 'erin querying the audit for the expiry')).items.length > 0,
      `the grant.expired audit record of ${grantId}`,
      10,
    );
    timings.push({ step: '(e) expireGrants: grant expired and audited', ms: Math.round(performance.now() - expiryStarted) });
    let stillThere = true;
    try {
      await arm.roleAssignments.getById(grant.assignmentId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      stillThere = false;
    }
    expect(!stillThere, `alice's role assignment ${grant.assignmentId} should be gone after expiry`);
    say(`    grant ${shortId(grantId)} ${ended.status} at ${ended.endedAt}; ARM GET of ${shortId(live.name ?? '')} -> 404, the assignment is gone`);

    // (f) The audit trail.
    say('');
    say(`(f) audit trail of request ${shortId(request.id)}, as erin (admin)`);
    const trail = await timed('(f) audit query', () => erin.get(`/api/audit?requestId=${request.id}&limit=50`, pageOf(auditView), 'erin querying the audit by request'));
    // The demo's clock stands still while the last approval grants, so those records share one
    // instant and the ledger's order between them is arbitrary: show ties in lifecycle order.
    const records = [...trail.items].sort((x, y) => x.at.localeCompare(y.at) || lifecycleRank(x.action) - lifecycleRank(y.action));
    const actions = records.map((r) => r.action);
    for (const needed of ['request.created', 'approval.recorded', 'grant.created', 'grant.expired']) {
      expect(actions.includes(needed), `the audit trail should include ${needed}, it has ${actions.join(', ')}`);
    }
    expect(actions.filter((a) => a === 'approval.recorded').length === 2, `the audit trail should record 2 approvals, it has ${actions.filter((a) => a === 'approval.recorded').length}`);
    const rows = records.map((r) => [r.at.slice(11, 19), r.action, r.actor.name ?? displayName(r.actor.id), truncate(humanize(r.reason ?? ''), 72)]);
    for (const line of formatTable(['at (UTC)', 'action', 'actor', 'detail'], rows)) say(`    ${line}`);
    const verified = await timed('(f) audit verify', () => erin.get('/api/audit/verify', verifyView, 'erin verifying the audit ledger'));
    expect(verified.ok, `the audit ledger should verify, it reports ${JSON.stringify(verified)}`);
    say(`    GET /api/audit/verify -> ok: ${verified.checked} records checked, hash chains intact`);

    // (g) Timings.
    const totalMs = elapsed();
    say('');
    say('(g) timings');
    for (const line of formatTable(['step', 'ms'], timings.map((t) => [t.step, String(t.ms)]))) say(`    ${line}`);
    say(`    total ${totalMs} ms`);
    return { requestId: request.id, grantId, rogueRevokedMs, timings, totalMs };
  } finally {
    await armAgent.close().catch(() => undefined);
    await stack.stop();
    say('stack stopped');
  }
}

/** A demo that is still running after this long is stuck; fail instead of hanging. */
const WATCHDOG_MS = 60_000;

if (require.main === module) {
  const writeLine = (line: string) => process.stdout.write(`${line}\n`);
  setTimeout(() => {
    process.stderr.write(`Demo FAILED - still running after ${WATCHDOG_MS} ms; giving up.\n`);
    process.exit(1);
  }, WATCHDOG_MS).unref();
  runDemo({ writeLine }).then(
    (report) => {
      writeLine(`Demo succeeded in ${report.totalMs} ms.`);
      process.exit(0);
    },
    (err: unknown) => {
      const message = err instanceof DemoExpectationFailed ? `expectation failed: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`Demo FAILED - ${message}\n`);
      process.exit(1);
    },
  );
}
