/** The audit outbox on a document: queued once per key, held until removal when asked, cleared by key. */
import { queueAudit, readyEntries, withoutAudit, type WithOutbox } from '../../shared/domain/audit/outbox';

const NOW = new Date('2026-11-20T12:00:00Z');
const entry = { action: 'grant.created' as const, actor: { name: 'AccessManager' }, grantId: 'g1' };

test('queueing validates the entry, fixes its time, and is idempotent per key', () => {
  const doc: WithOutbox = { id: 'g1' };
  const once = queueAudit(doc, 'grant.created:g1', entry, NOW);
  expect(once.outbox).toEqual([{ key: 'grant.created:g1', queuedAt: NOW.toISOString(), entry: expect.objectContaining({ action: 'grant.created', at: NOW.toISOString() }) }]);
  expect(queueAudit(once, 'grant.created:g1', entry, new Date())).toBe(once);
  expect(() => queueAudit(doc, 'k', { action: 'not.an.action', actor: {} } as never, NOW)).toThrow(/Audit entry is invalid/);
});

test('an entry held until removal is not ready while the removal is pending', () => {
  const ending = { id: 'g1', pendingRemoval: true as boolean };
  const queued = queueAudit(queueAudit(ending, 'a', entry, NOW), 'b', { ...entry, action: 'grant.revoked' }, NOW, { afterRemoval: true });
  expect(readyEntries(queued).map((o) => o.key)).toEqual(['a']);
  expect(readyEntries({ ...queued, pendingRemoval: false }).map((o) => o.key)).toEqual(['a', 'b']);
});

test('clearing by key drops the field once empty, and changes nothing for unknown keys', () => {
  const queued = queueAudit(queueAudit<WithOutbox>({ id: 'r1' }, 'a', entry, NOW), 'b', entry, NOW);
  expect(withoutAudit(queued, new Set(['a'])).outbox?.map((o) => o.key)).toEqual(['b']);
  const cleared = withoutAudit(queued, new Set(['a', 'b']));
  expect(cleared).toEqual({ id: 'r1' });
  expect('outbox' in cleared).toBe(false);
  expect(withoutAudit(queued, new Set(['zzz']))).toBe(queued);
});
