/**
 * Helpers of the enforcement end-to-end tests: out-of-band role assignment writes through the
 * simulated ARM (as dave, or anyone), direct deliveries to the Event Grid webhook, approved
 * grants made through the API, audit reads, and a policies copy with a small breaker.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../dev/localStack';
import type { EventGridEvent } from '../../dev/sim';
import { roleAssignmentId, scopeKey, subscriptionOf } from '../../shared/domain/armIds';
import type { AuditRecord } from '../../shared/domain/audit/record';
import type { AuditQueryFilter } from '../../shared/domain/audit/queryPlan';
import { ADMIN_ROLE, principalHeaders } from '../../shared/domain/caller';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { LOCAL_SUBSCRIPTION_ID, PEOPLE } from '../../dev/tenant';

export const ROLE = {
  blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  blobContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

export const USER = {
  alice: { id: PEOPLE.alice, name: 'alice@contoso.test' },
  bob: { id: PEOPLE.bob, name: 'bob@contoso.test' },
  carol: { id: PEOPLE.carol, name: 'carol@contoso.test' },
  erin: { id: PEOPLE.erin, name: 'erin@contoso.test', roles: [ADMIN_ROLE] },
  dave: { id: PEOPLE.dave, name: 'dave@contoso.test' },
} as const;

/**
 * The whole local installation on ephemeral ports. Notifications are recorded (not sent to the
 * simulated Teams): these tests are about enforcement, and revocations are notified best effort.
 */
export function startEnforcementStack(options: Omit<LocalStackOptions, 'port' | 'simPort' | 'cosmosPort'> = {}): Promise<LocalStack> {
  return startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, notifier: new RecordingNotifier(), ...options });
}

/** One undici Agent per CA: the simulator's certificate is self-signed. */
const agents = new Map<string, Agent>();
export function agentFor(ca: string): Agent {
  let agent = agents.get(ca);
  if (!agent) {
    agent = new Agent({ connect: { ca } });
    agents.set(ca, agent);
  }
  return agent;
}

/** Closes the agents opened for simulator calls (call in afterAll so jest exits cleanly). */
export async function closeSimAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An HTTP answer with its JSON body parsed (the text when it is not JSON; undefined when empty). */
export interface Answer<T = unknown> {
  status: number;
  body: T;
}

export type SimCall = Answer<{ error?: { code: string; message: string } } | undefined>;

/**
 * One ARM call to the simulator as `caller`. Injected faults (429/5xx from the armFailureRate
 * knob) are retried here: they are aimed at AccessManager, not at the test's own writes.
 */
export async function simArm(stack: LocalStack, method: 'PUT' | 'GET' | 'DELETE', path: string, opts: { caller?: string; body?: unknown; events?: boolean } = {}): Promise<SimCall> {
  const headers: Record<string, string> = { 'x-sim-caller': opts.caller ?? PEOPLE.dave };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.events === false) headers['x-sim-events'] = 'off';
  const url = `${stack.sim.url}${path}${path.includes('?') ? '&' : '?'}api-version=2022-04-01`;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      dispatcher: agentFor(stack.ca),
    } as RequestInit);
    const text = await res.text();
    const body = text ? (JSON.parse(text) as SimCall['body']) : undefined;
    const injected = (res.status === 429 || res.status >= 500) && attempt < 50;
    if (!injected) return { status: res.status, body };
    await sleep(5);
  }
}

export interface RogueAssignment {
  id: string;
  name: string;
  scope: string;
  principalId: string;
  roleGuid: string;
  /** performance.now() when the simulated ARM answered the PUT. */
  acceptedAt: number;
}

/** Creates a role assignment out of band (default caller dave), as the portal or az would. */
export async function assignOutOfBand(
  stack: LocalStack,
  a: { scope: string; roleGuid: string; principalId: string; caller?: string; events?: boolean; name?: string },
): Promise<RogueAssignment> {
  const name = a.name ?? randomUUID();
  const path = `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const roleDefinitionId = `/subscriptions/${subscriptionOf(a.scope) ?? LOCAL_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${a.roleGuid}`;
  const res = await simArm(stack, 'PUT', path, { caller: a.caller, events: a.events, body: { properties: { roleDefinitionId, principalId: a.principalId } } });
  const acceptedAt = performance.now();
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: roleAssignmentId(a.scope, name), name, scope: a.scope, principalId: a.principalId, roleGuid: a.roleGuid, acceptedAt };
}

/** Deletes an assignment out of band (default caller dave). */
export async function deleteOutOfBand(stack: LocalStack, assignmentId: string, caller: string = PEOPLE.dave): Promise<SimCall> {
  return simArm(stack, 'DELETE', assignmentId, { caller });
}

export function exists(stack: LocalStack, assignmentId: string): boolean {
  return stack.sim.state.assignments.has(assignmentId);
}

/** Polls until `check` is truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits until the simulator has nothing queued or in flight, twice in a row (a handler's own writes emit more). */
export async function settle(stack: LocalStack): Promise<void> {
  for (let quiet = 0; quiet < 2; ) {
    await stack.sim.events.idle();
    await sleep(30);
    quiet = stack.sim.events.pending() === 0 ? quiet + 1 : 0;
  }
}

/** Every audit record matching `filter`, all pages, newest first. */
export async function auditRecords(stack: LocalStack, filter: Omit<AuditQueryFilter, 'limit' | 'continuationToken'>): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await stack.deps.audit.query({ ...filter, limit: 500, ...(continuationToken ? { continuationToken } : {}) });
    out.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return out;
}

/** Decisions (`assignment.*` audit records) about one assignment, counted by action. */
export async function decisionsFor(stack: LocalStack, assignmentId: string, scope: string): Promise<Record<string, number>> {
  const records = await auditRecords(stack, { scope });
  const counts: Record<string, number> = {};
  for (const r of records) {
    if (!r.action.startsWith('assignment.') || r.assignmentId === undefined || scopeKey(r.assignmentId) !== scopeKey(assignmentId)) continue;
    counts[r.action] = (counts[r.action] ?? 0) + 1;
  }
  return counts;
}

export function webhookUrl(stack: LocalStack, functionName = 'armEvents'): string {
  return `${stack.url}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}`;
}

/** POSTs a delivery to the host's Event Grid webhook as Event Grid would. */
export async function deliver(
  stack: LocalStack,
  body: unknown,
  opts: { functionName?: string; headers?: Record<string, string>; raw?: boolean } = {},
): Promise<Answer<{ error?: { code: string; message: string } } | string | undefined>> {
  const res = await fetch(webhookUrl(stack, opts.functionName), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification', ...opts.headers },
    body: opts.raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: { error?: { code: string; message: string } } | string | undefined = text;
  try {
    parsed = text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/** The events the simulator has delivered (or tried to) about one resource, originals only. */
export function capturedEvents(stack: LocalStack, resourceId: string): EventGridEvent[] {
  const key = scopeKey(resourceId);
  const seen = new Set<string>();
  const out: EventGridEvent[] = [];
  for (const r of stack.sim.events.recent()) {
    if (scopeKey(r.subject) !== key || seen.has(r.eventId)) continue;
    seen.add(r.eventId);
    out.push(r.event);
  }
  return out;
}

/** Calls the API as `user` (Easy Auth headers); `T` is the body the caller expects. */
async function api<T = Record<string, unknown>>(stack: LocalStack, user: { id: string; name: string; roles?: readonly string[] }, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...principalHeaders({ ...user, roles: user.roles ? [...user.roles] : undefined }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export const asUser = api;

export interface ApprovedGrant {
  requestId: string;
  grantId: string;
  assignmentId: string;
}

/**
 * A grant made the real way: `requester` asks for `role` on `scope` through the API and the
 * approvers approve it; returns once the grant is active and its assignment exists in ARM.
 */
export async function approvedGrant(
  stack: LocalStack,
  req: { requester?: { id: string; name: string }; scope: string; role: string; duration: string; approvers?: Array<{ id: string; name: string }> },
): Promise<ApprovedGrant> {
  const requester = req.requester ?? USER.alice;
  const created = await api<{ id: string }>(stack, requester, 'POST', '/api/requests', { scope: req.scope, role: req.role, duration: req.duration, justification: 'end-to-end enforcement test' });
  if (created.status !== 201) throw new Error(`createRequest answered ${created.status}: ${JSON.stringify(created.body)}`);
  let last: Answer<{ status?: string; grantId?: string }> = { status: created.status, body: {} };
  for (const approver of req.approvers ?? [USER.bob, USER.carol]) {
    last = await api<{ status: string; grantId?: string }>(stack, approver, 'POST', `/api/requests/${created.body.id}/approve`, { comment: 'ok' });
    if (last.status !== 200) throw new Error(`approve answered ${last.status}: ${JSON.stringify(last.body)}`);
  }
  const grantId: string | undefined = last.body.grantId;
  if (last.body.status !== 'approved' || !grantId) throw new Error(`request ${created.body.id} is ${last.body.status}, not approved`);
  const grant = await until(async () => {
    const res = await api<{ items?: Array<{ id: string; assignmentId: string }> }>(stack, USER.erin, 'GET', `/api/grants?principalId=${requester.id}&status=active`);
    return res.body?.items?.find((g) => g.id === grantId);
  }, `grant ${grantId} to be active`);
  return { requestId: created.body.id, grantId, assignmentId: grant.assignmentId };
}

/** A copy of the seed policies with `edit` applied to each file's text; `cleanup` removes it. */
export async function policiesCopy(edit: (file: string, text: string) => string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'am-enf-policies-'));
  await cp(join(__dirname, '..', '..', 'policies'), dir, { recursive: true });
  for (const file of ['model-weights.yaml', 'research.yaml', 'sandbox.yaml', 'subscription-baseline.yaml']) {
    const path = join(dir, file);
    await writeFile(path, edit(file, await readFile(path, 'utf8')));
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Appends (or replaces) a `breaker:` block in a policy file's YAML. */
export function withBreaker(text: string, maxRevocations: number, window = 'PT5M'): string {
  const withoutBreaker = text.replace(/\nbreaker:\n(?:[ \t]+.*\n?)*/m, '\n');
  return `${withoutBreaker.trimEnd()}\n\nbreaker:\n  maxRevocations: ${maxRevocations}\n  window: ${window}\n`;
}
