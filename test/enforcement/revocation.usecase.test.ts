/**
 * A revocation over fakes typed by the ports: the intent is claimed before the ARM delete and
 * stays after the record, so the record alone proves a revocation finished. A duplicate delivery
 * at the same moment, a crash between the delete and the record, and a late redelivery each end
 * with exactly one `assignment.revoked`; the timer's scan finishes what a crash left and never
 * passes an intent it could not finish.
 */
import { PEOPLE, RG } from '../../dev/tenant';
import { TransientError } from '../../shared/domain/errors';
import type { AuditEntry } from '../../shared/domain/audit/record';
import type { AppendOptions } from '../../shared/ports/audit';
import { enforceAssignment, finishRevocations, INTENT_GRACE_MS } from '../../shared/usecases/enforcement';
import { InMemoryRevocations } from '../fakes/stores';
import { startWorld, type World } from '../fakes/world';

let world: World;
/** The wall clock the intents' leases are measured on. */
let wall: number;
let intents: InMemoryRevocations;
const LEASE_MS = 10_000;

beforeEach(async () => {
  world = await startWorld();
  wall = Date.now();
  intents = new InMemoryRevocations(LEASE_MS, () => wall, () => world.clock.now());
  world.deps.revocations = intents;
});

function rogueAssignment(): string {
  return world.sim.seedAssignment({ scope: RG.weights, principalId: PEOPLE.mallory, role: 'Storage Blob Data Reader' }).id;
}

async function enforce(id: string) {
  return enforceAssignment(world.deps, await world.deps.roleAssignments.get(id), id, { via: 'event', eventId: 'e-1' });
}

const revokedRecords = (id: string) => world.audit.ofAction('assignment.revoked').filter((r) => r.assignmentId === id);

/** Makes the next append of `action` fail, as a crash right after the ARM delete would leave it. */
function failNextAppend(action: AuditEntry['action']): void {
  const append = world.audit.append.bind(world.audit);
  const spy = jest.spyOn(world.audit, 'append').mockImplementation(async (entry: AuditEntry, opts?: AppendOptions) => {
    if (entry.action !== action) return append(entry, opts);
    spy.mockRestore();
    throw new Error('the process died before the record');
  });
}

test('a revocation: the intent is claimed before the delete and stays; the record carries its key', async () => {
  const id = rogueAssignment();
  const result = await enforce(id);
  expect(result).toMatchObject({ decision: { action: 'revoke' }, outcome: 'deleted' });
  expect(world.sim.assignments.has(id)).toBe(false);
  expect(revokedRecords(id)).toHaveLength(1);
  expect(revokedRecords(id)[0]!.details).toMatchObject({ outcome: 'deleted' });
  expect(intents.intents.size).toBe(1);
  // The scan finds it recorded: nothing to finish, and the mark moves past it.
  world.clock.advance(INTENT_GRACE_MS + 1);
  wall += LEASE_MS + 1;
  expect(await finishRevocations(world.deps)).toEqual({ finished: 0, failures: 0 });
  expect((await intents.unchecked(100)).intents).toHaveLength(0);
});

test('two deliveries at the same moment: one deletes and records, the other is told to retry, and its retry finds nothing to do', async () => {
  const id = rogueAssignment();
  const live = await world.deps.roleAssignments.get(id);
  const [first, second] = await Promise.allSettled([
    enforceAssignment(world.deps, live, id, { via: 'event', eventId: 'e-1' }),
    enforceAssignment(world.deps, live, id, { via: 'event', eventId: 'e-1' }),
  ]);
  expect(first).toMatchObject({ status: 'fulfilled', value: { outcome: 'deleted' } });
  // Either the first's record was there already (nothing to do) or its intent was still held (retry).
  if (second.status === 'rejected') expect(second.reason).toBeInstanceOf(TransientError);
  else expect(second.value.outcome).toBe('gone');
  expect(revokedRecords(id)).toHaveLength(1);
  // The redelivery: ARM no longer has it.
  expect((await enforce(id)).decision.action).toBe('none');
  expect(revokedRecords(id)).toHaveLength(1);
});

test('a crash between the delete and the record: the redelivery finds the assignment gone; the timer records the revocation once', async () => {
  const id = rogueAssignment();
  failNextAppend('assignment.revoked');
  await expect(enforce(id)).rejects.toThrow('the process died before the record');
  expect(world.sim.assignments.has(id)).toBe(false);
  expect(revokedRecords(id)).toHaveLength(0);
  expect((await enforce(id)).decision.action).toBe('none');

  // Inside the grace, and while the holder's lease runs, the timer leaves it.
  expect(await finishRevocations(world.deps)).toEqual({ finished: 0, failures: 0 });
  world.clock.advance(INTENT_GRACE_MS + 1);
  expect(await finishRevocations(world.deps)).toEqual({ finished: 0, failures: 0 });
  expect(revokedRecords(id)).toHaveLength(0);

  wall += LEASE_MS + 1;
  expect(await finishRevocations(world.deps)).toEqual({ finished: 1, failures: 0 });
  expect(revokedRecords(id)).toHaveLength(1);
  expect(revokedRecords(id)[0]!.details).toMatchObject({ outcome: 'gone' });
  world.clock.advance(INTENT_GRACE_MS + 1);
  wall += LEASE_MS + 1;
  expect(await finishRevocations(world.deps)).toEqual({ finished: 0, failures: 0 });
  expect(revokedRecords(id)).toHaveLength(1);
});

test('a transient ARM failure releases the intent: the retry takes it over at once and revokes', async () => {
  const id = rogueAssignment();
  const del = jest.spyOn(world.deps.roleAssignments, 'delete').mockRejectedValueOnce(new TransientError('ARM answered 503', 'ArmUnavailable'));
  await expect(enforce(id)).rejects.toBeInstanceOf(TransientError);
  del.mockRestore();
  expect(world.sim.assignments.has(id)).toBe(true);
  const retried = await enforce(id);
  expect(retried.outcome).toBe('deleted');
  expect(revokedRecords(id)).toHaveLength(1);
});

test('an intent left by a crash before the delete: the timer judges the assignment again and revokes it once', async () => {
  const id = rogueAssignment();
  const del = jest.spyOn(world.deps.roleAssignments, 'delete').mockRejectedValueOnce(new Error('the process died before the delete'));
  await expect(enforce(id)).rejects.toThrow('the process died before the delete');
  del.mockRestore();
  expect(world.sim.assignments.has(id)).toBe(true);
  world.clock.advance(INTENT_GRACE_MS + 1);
  wall += LEASE_MS + 1;
  expect(await finishRevocations(world.deps)).toEqual({ finished: 1, failures: 0 });
  expect(world.sim.assignments.has(id)).toBe(false);
  expect(revokedRecords(id)).toHaveLength(1);
  expect(revokedRecords(id)[0]!.details).toMatchObject({ outcome: 'deleted' });
});

test('the scan never passes an intent it could not finish', async () => {
  const id = rogueAssignment();
  failNextAppend('assignment.revoked');
  await expect(enforce(id)).rejects.toThrow();
  world.clock.advance(INTENT_GRACE_MS + 1);
  wall += LEASE_MS + 1;
  // The timer's own record fails too: the intent stays listed for the next run.
  failNextAppend('assignment.revoked');
  expect(await finishRevocations(world.deps)).toEqual({ finished: 0, failures: 1 });
  expect((await intents.unchecked(100)).intents.map((i) => i.assignmentId)).toEqual([id]);
  // Its takeover restarted the grace and the lease.
  world.clock.advance(INTENT_GRACE_MS + 1);
  wall += LEASE_MS + 1;
  expect(await finishRevocations(world.deps)).toEqual({ finished: 1, failures: 0 });
  expect(revokedRecords(id)).toHaveLength(1);
});
