/**
 * No state change without its record (finding 3 of issue 10), end to end with a ledger that
 * fails on demand (a transient error, as a Cosmos 429 would give): every change whose record could
 * not be written keeps it in the document's outbox, and the next attempt or the timer records it,
 * exactly once. The paths of the finding: an approval, a grant whose fulfilment is retried after
 * the grant exists, an early revoke retried after the grant ended, an expiry whose record failed
 * after the removal, and an external delete.
 */
import type { LocalStack } from '../../dev/localStack';
import type { AuditTrail } from '../../shared/ports/audit';
import type { AuditEntry } from '../../shared/domain/audit/record';
import { TransientError } from '../../shared/domain/errors';
import { sweepAuditOutboxes } from '../../shared/usecases/outbox';
import { runExpiry } from '../../shared/usecases/expiry';
import { PEOPLE, RG } from '../../dev/tenant';
import { approvedGrant, asUser, auditRecords, closeSimAgents, deleteOutOfBand, exists, settle, startEnforcementStack, until, USER } from './enforcementHelpers';

/** The ledger, failing the next appends whose entry matches, once each. */
class FlakyAudit {
  private readonly failing: Array<(entry: AuditEntry) => boolean> = [];

  failNext(match: (entry: AuditEntry) => boolean): void {
    this.failing.push(match);
  }

  wrap(inner: AuditTrail): AuditTrail {
    return {
      append: (entry, opts) => {
        const i = this.failing.findIndex((f) => f(entry));
        if (i >= 0) {
          this.failing.splice(i, 1);
          return Promise.reject(new TransientError('the ledger is throttled (injected 429)', 'StoreThrottled'));
        }
        return inner.append(entry, opts);
      },
      query: (filter) => inner.query(filter),
      recorded: (keys) => inner.recorded(keys),
      verify: (opts) => inner.verify(opts),
      close: () => inner.close(),
    };
  }
}

const flaky = new FlakyAudit();
let stack: LocalStack;

beforeAll(async () => {
  stack = await startEnforcementStack({
    instrument: { decorate: (name, port) => (name === 'audit' ? (flaky.wrap(port as AuditTrail) as typeof port) : port) },
  });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

/** The deps with a clock a few minutes ahead: the timer then treats every outbox entry as left behind. */
function later(minutes: number) {
  return { ...stack.deps, clock: { now: () => new Date(Date.now() + minutes * 60_000) } };
}

async function count(filter: Parameters<typeof auditRecords>[1]): Promise<number> {
  return (await auditRecords(stack, filter)).length;
}

describe('a transient ledger failure never loses a record', () => {
  it('an approval: the retry records it once', async () => {
    const created = await asUser<{ id: string }>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'outbox test' });
    flaky.failNext((e) => e.action === 'approval.recorded');
    const first = await asUser(stack, USER.bob, 'POST', `/api/requests/${created.body.id}/approve`, { comment: 'ok' });
    expect(first.status).toBe(503);
    // The approval is stored, its record waits in the request's outbox.
    expect((await stack.deps.requests.get(created.body.id))?.approvals).toHaveLength(1);
    expect(await count({ requestId: created.body.id, action: 'approval.recorded' })).toBe(0);
    const retry = await asUser<{ error: { code: string } }>(stack, USER.bob, 'POST', `/api/requests/${created.body.id}/approve`, { comment: 'ok' });
    expect(retry.status).toBe(409);
    expect(await count({ requestId: created.body.id, action: 'approval.recorded' })).toBe(1);
    expect((await stack.deps.requests.get(created.body.id))?.outbox).toBeUndefined();
  });

  it('a grant whose record failed: the timer finishes the fulfilment and records grant.created once', async () => {
    flaky.failNext((e) => e.action === 'grant.created');
    const created = await asUser<{ id: string }>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'outbox test 2' });
    await asUser(stack, USER.bob, 'POST', `/api/requests/${created.body.id}/approve`, {});
    const approved = await asUser<{ status: string; grantId: string; fulfilled?: boolean }>(stack, USER.carol, 'POST', `/api/requests/${created.body.id}/approve`, {});
    expect(approved.body).toMatchObject({ status: 'approved', fulfilled: false });
    // The grant exists (and its assignment), its record does not yet: the state the finding reported as final.
    expect(await stack.deps.grants.get(approved.body.grantId)).toMatchObject({ status: 'active' });
    expect(await count({ grantId: approved.body.grantId, action: 'grant.created' })).toBe(0);
    await stack.host.runTimer('expireGrants');
    expect(await count({ grantId: approved.body.grantId, action: 'grant.created' })).toBe(1);
    expect(await stack.deps.requests.get(created.body.id)).toMatchObject({ fulfilled: true });
    await stack.host.runTimer('expireGrants');
    expect(await count({ grantId: approved.body.grantId, action: 'grant.created' })).toBe(1);
  });

  it('an early revoke: the retry of an ended grant records grant.revoked once', async () => {
    // Each test its own (principal, role): two grants of one triple share an assignment, which stays while either lasts.
    const grant = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Contributor', duration: 'PT1H', approvers: [USER.bob, USER.carol, USER.erin] });
    flaky.failNext((e) => e.action === 'grant.revoked');
    const first = await asUser(stack, USER.alice, 'POST', `/api/grants/${grant.grantId}/revoke`, { reason: 'done early' });
    expect(first.status).toBe(503);
    expect(await stack.deps.grants.get(grant.grantId)).toMatchObject({ status: 'revoked' });
    expect(exists(stack, grant.assignmentId)).toBe(false);
    const retry = await asUser(stack, USER.alice, 'POST', `/api/grants/${grant.grantId}/revoke`, { reason: 'done early' });
    expect(retry.status).toBe(200);
    const records = await auditRecords(stack, { grantId: grant.grantId, action: 'grant.revoked' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: { id: USER.alice.id }, reason: 'done early' });
  });

  it('an expiry whose record failed after the removal: the timer records grant.expired once', async () => {
    const grant = await approvedGrant(stack, { requester: USER.dave, scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1M' });
    flaky.failNext((e) => e.action === 'grant.expired');
    const run = await runExpiry(later(2));
    expect(run.failures).toBeGreaterThanOrEqual(1);
    // The removal is marked done in the same write that clears its record (one store operation
    // fewer per expiry): the failed record leaves the removal pending, and the same run's step
    // for interrupted removals finishes it under the same idempotency key.
    expect(run.removalsFinished).toBeGreaterThanOrEqual(1);
    expect(await stack.deps.grants.get(grant.grantId)).toMatchObject({ status: 'expired', pendingRemoval: false });
    expect(exists(stack, grant.assignmentId)).toBe(false);
    expect(await count({ grantId: grant.grantId, action: 'grant.expired' })).toBe(1);
    await runExpiry(later(3));
    await sweepAuditOutboxes(later(3));
    expect(await count({ grantId: grant.grantId, action: 'grant.expired' })).toBe(1);
  });

  it('an external delete: the redelivered event records grant.endedExternally once', async () => {
    const grant = await approvedGrant(stack, { requester: { id: PEOPLE.mallory, name: 'mallory@contoso.test' }, scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H' });
    flaky.failNext((e) => e.action === 'grant.endedExternally');
    expect((await deleteOutOfBand(stack, grant.assignmentId)).status).toBe(200);
    await until(async () => (await count({ grantId: grant.grantId, action: 'grant.endedExternally' })) === 1, 'the redelivery to record the end');
    await settle(stack);
    expect(await count({ grantId: grant.grantId, action: 'grant.endedExternally' })).toBe(1);
    expect(await stack.deps.grants.get(grant.grantId)).toMatchObject({ status: 'revoked', endReason: 'endedExternally' });
  });
});
