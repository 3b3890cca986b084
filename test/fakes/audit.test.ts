/** The in-memory audit trail behaves like the ledger at the port: validation, hash chain, idempotency keys. */
import { MemoryAuditTrail } from './audit';
import { isDuplicateAppend, type AuditSink } from '../../shared/ports/audit';
import { ValidationError } from '../../shared/domain/errors';

test('records, dedupes by key, refuses bad entries, and verifies', async () => {
  const memory = new MemoryAuditTrail(() => new Date('2025-06-01T00:00:00Z'));
  const sink: AuditSink = memory;
  const first = await sink.append({ action: 'grant.revoked', actor: { id: 'admin' }, grantId: 'g1' }, { idempotencyKey: 'k1' });
  expect(isDuplicateAppend(first)).toBe(false);
  expect(first).toMatchObject({ seq: 1, at: '2025-06-01T00:00:00.000Z', grantId: 'g1' });
  expect(await sink.append({ action: 'grant.revoked', actor: { id: 'admin' }, grantId: 'g1' }, { idempotencyKey: 'k1' })).toEqual({ duplicate: true });
  await expect(sink.append({ action: 'grant.revoked', actor: { id: 'admin' }, scope: 'rg' })).rejects.toThrow(ValidationError);
  expect(memory.ofAction('grant.revoked')).toHaveLength(1);
  expect(memory.verifyChain()).toEqual({ ok: true, checked: 2 });
});
