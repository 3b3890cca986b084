/**
 * Shared helpers of the end-to-end tests: one local stack per test file on ephemeral ports,
 * an HTTP client that signs in as a user of the local tenant through the Easy Auth headers,
 * and small wait / count helpers for asserting on the simulator and the store.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../dev/localStack';
import type { Directory, DirectoryUser } from '../../dev/sim/directory';
import { roleDefinitionGuid, scopeKey } from '../../shared/domain/armIds';
import type { AuditRecord } from '../../shared/domain/audit/record';
import type { Grant } from '../../shared/domain/grants/grant';
import { principalHeaders } from '../../shared/domain/caller';
import type { AccessRequest } from '../../shared/domain/requests/model';
import { LOCAL_USER } from '../../dev/localUsers';

export interface TestUser {
  id: string;
  name: string;
  roles?: string[];
}

/** The people of the local tenant (API.md), as the Easy Auth headers name them. */
export const USERS = LOCAL_USER;

/** Starts the whole local installation on ports 0 (Cosmos, simulator, host). */
export function startTestStack(options: Omit<LocalStackOptions, 'port' | 'simPort' | 'cosmosPort'> = {}): Promise<LocalStack> {
  return startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, ...options });
}

/** The error body of API.md. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** A request as the API answers it. */
export type RequestDto = AccessRequest;
/** A grant as the API answers it: internal bookkeeping left out. */
export type GrantDto = Omit<Grant, 'pendingRemoval' | 'scopeKey' | 'type'>;
export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

/** The document expected on success, `error` on failure: tests look at `status` first. */
export type Answer<T> = T & { error?: ErrorBody };

export interface ApiResponse<T = unknown> {
  status: number;
  body: Answer<T>;
  headers: Headers;
}

export interface ApiClient {
  get<T = unknown>(path: string): Promise<ApiResponse<T>>;
  /** `body` undefined sends no body; a string is sent as is; anything else as JSON. */
  post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** Sends requests to `baseUrl` with the given headers; answers are parsed as JSON when they are JSON. */
export function client(baseUrl: string, headers: Record<string, string>): ApiClient {
  const send = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      const sent = init.headers as Record<string, string>;
      if (!Object.keys(sent).some((k) => k.toLowerCase() === 'content-type')) sent['content-type'] = 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    } else {
      parsed = undefined;
    }
    return { status: res.status, body: parsed as Answer<T>, headers: res.headers };
  };
  return {
    get: <T>(path: string) => send<T>('GET', path),
    post: <T>(path: string, body?: unknown) => send<T>('POST', path, body),
  };
}

/** An HTTP client signed in as `user` (Easy Auth headers built by principalHeaders). */
export function as(stack: Pick<LocalStack, 'url'>, user: TestUser): ApiClient {
  return client(stack.url, principalHeaders(user));
}

/** An HTTP client that sends no identity at all. */
export function anonymous(stack: Pick<LocalStack, 'url'>): ApiClient {
  return client(stack.url, {});
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Role assignments the simulated ARM holds for (principal, role, scope), compared case-insensitively. */
export function assignmentsFor(stack: LocalStack, principalId: string, roleGuid: string, scope: string) {
  return [...stack.sim.state.assignments.values()].filter(
    (a) =>
      a.properties.principalId.toLowerCase() === principalId.toLowerCase() &&
      roleDefinitionGuid(a.properties.roleDefinitionId) === roleGuid.toLowerCase() &&
      scopeKey(a.properties.scope) === scopeKey(scope),
  );
}

/** Number of documents in a container of the store. */
export async function countDocuments(stack: LocalStack, container: 'requests' | 'grants' | 'coverage' | 'audit'): Promise<number> {
  const { resources } = await stack.containers[container].items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
  return resources[0] ?? 0;
}

/** What must not change when a request is refused: documents of requests and grants, and live role assignments. */
export async function writeFootprint(stack: LocalStack): Promise<{ requests: number; grants: number; coverage: number; assignments: number }> {
  return {
    requests: await countDocuments(stack, 'requests'),
    grants: await countDocuments(stack, 'grants'),
    coverage: await countDocuments(stack, 'coverage'),
    assignments: stack.sim.state.assignments.size,
  };
}

/** Audit records of one request, oldest first, read through the API as the admin. */
export async function auditOf(stack: LocalStack, requestId: string): Promise<AuditRecord[]> {
  const res = await as(stack, USERS.erin).get<Page<AuditRecord>>(`/api/audit?requestId=${encodeURIComponent(requestId)}&limit=100`);
  if (res.status !== 200) throw new Error(`audit query answered ${res.status}: ${JSON.stringify(res.body)}`);
  return [...res.body.items].reverse();
}

/** Adds users to the simulated directory (and, optionally, as direct members of a group). */
export function addDirectoryUsers(directory: Directory, users: TestUser[], groupId?: string): void {
  for (const u of users) {
    const local = u.name.split('@')[0] ?? u.id;
    const entry: DirectoryUser = {
      kind: 'User',
      id: u.id,
      displayName: local,
      givenName: local,
      surname: 'Test',
      jobTitle: 'Approver',
      userPrincipalName: u.name,
      mail: u.name,
    };
    directory.add(entry);
    if (groupId) directory.addMember(groupId, u.id);
  }
}

/** Copies the seed policies into a fresh temporary directory a test may edit; `cleanup` removes it. */
export async function copyPolicies(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'am-policies-'));
  await cp(join(__dirname, '..', '..', 'policies'), dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
