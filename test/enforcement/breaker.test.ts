/** The blast-radius breaker: fixed window, trip, stay tripped, reset; with the seed policy's settings. */
import { join } from 'node:path';
import fc from 'fast-check';
import { InternalError } from '../../shared/domain/errors';
import {
  DEFAULT_BREAKER,
  breakerSettings,
  endPacing,
  isPacing,
  isStanding,
  isTripped,
  recordRevocation,
  resetBreaker,
  type BreakerPolicyView,
  type BreakerState,
} from '../../shared/domain/enforcement/breaker';
import { loadPolicies } from '../../shared/adapters/policyFiles';

const T0 = new Date('2026-11-20T12:00:00Z');
const after = (ms: number): Date => new Date(T0.getTime() + ms);
const small: BreakerPolicyView = { id: 'p', breaker: { maxRevocations: 2, windowMs: 60_000 } };

/** Records revocations at the given offsets (ms from T0); returns every outcome. */
function run(policy: BreakerPolicyView, offsets: number[], start?: BreakerState) {
  let state = start;
  return offsets.map((offset) => {
    const outcome = recordRevocation(state, policy, after(offset));
    state = outcome.state;
    return outcome;
  });
}

describe('recordRevocation', () => {
  test('a first revocation starts a window', () => {
    expect(recordRevocation(undefined, small, T0)).toEqual({
      state: { policyId: 'p', windowStart: T0.toISOString(), count: 1, tripped: false },
      allowed: true,
      justTripped: false,
    });
  });

  test.each<[string, number[], Array<[boolean, boolean]>]>([
    ['up to the threshold: all allowed', [0, 1000], [[true, false], [true, false]]],
    ['one over the threshold trips; the next is refused without tripping again', [0, 1, 2, 3], [[true, false], [true, false], [false, true], [false, false]]],
    ['a new window after windowMs starts counting again', [0, 1, 60_000, 60_001], [[true, false], [true, false], [true, false], [true, false]]],
    ['one millisecond before the window ends still counts', [0, 1, 59_999], [[true, false], [true, false], [false, true]]],
    ['a tripped breaker stays tripped in later windows', [0, 1, 2, 3_600_000, 86_400_000], [[true, false], [true, false], [false, true], [false, false], [false, false]]],
    ['a clock behind the window start (another instance) counts in the window', [10_000, 0, 5_000], [[true, false], [true, false], [false, true]]],
  ])('%s', (_label, offsets, expected) => {
    expect(run(small, offsets).map((o) => [o.allowed, o.justTripped])).toEqual(expected);
  });

  test('the trip is stamped and the count stops at the threshold', () => {
    const outcomes = run(small, [0, 1, 2]);
    expect(outcomes[2]!.state).toEqual({ policyId: 'p', windowStart: T0.toISOString(), count: 2, tripped: true, trippedAt: after(2).toISOString() });
    expect(isTripped(outcomes[2]!.state)).toBe(true);
    expect(isTripped(undefined)).toBe(false);
  });

  test('maxRevocations 0 refuses the very first revocation', () => {
    expect(recordRevocation(undefined, { id: 'p', breaker: { maxRevocations: 0, windowMs: 1000 } }, T0)).toMatchObject({ allowed: false, justTripped: true });
  });

  test('default: 20 per 5 minutes; the 21st inside 5 minutes trips', () => {
    const outcomes = run({ id: 'p' }, Array.from({ length: 21 }, (_, i) => i * 10_000));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(20);
    expect(outcomes[20]).toMatchObject({ allowed: false, justTripped: true });
    expect(DEFAULT_BREAKER).toEqual({ maxRevocations: 20, windowMs: 300_000 });
  });

  test('a corrupt window start starts a fresh window rather than failing', () => {
    const corrupt: BreakerState = { policyId: 'p', windowStart: 'garbage', count: 2, tripped: false };
    expect(recordRevocation(corrupt, small, T0)).toMatchObject({ allowed: true, state: { windowStart: T0.toISOString(), count: 1 } });
  });

  test('state of another policy is an internal error', () => {
    const state = recordRevocation(undefined, small, T0).state;
    expect(() => recordRevocation(state, { id: 'other' }, T0)).toThrow(InternalError);
    expect(recordRevocation(state, { ...small, id: 'P' }, T0).allowed).toBe(true);
  });

  test('the state passed in is not modified', () => {
    const state = Object.freeze(recordRevocation(undefined, small, T0).state);
    expect(() => recordRevocation(state, small, after(1))).not.toThrow();
    expect(state.count).toBe(1);
  });

  test('the seed policy (policies/*.yaml) fits and carries 20 per PT5M', async () => {
    const seed = await loadPolicies(join(__dirname, '../../policies'));
    const policy = seed.byId('model-weights')!;
    expect(breakerSettings(policy)).toEqual({ maxRevocations: 20, windowMs: 300_000 });
    expect(recordRevocation(undefined, policy, T0)).toMatchObject({ allowed: true, state: { policyId: 'model-weights' } });
  });
});

describe('breakerSettings: unusable settings fall back to the default, never to unlimited', () => {
  test.each<[string, BreakerPolicyView['breaker'], { maxRevocations: number; windowMs: number }]>([
    ['absent', undefined, { maxRevocations: 20, windowMs: 300_000 }],
    ['valid', { maxRevocations: 5, windowMs: 1000 }, { maxRevocations: 5, windowMs: 1000 }],
    ['negative max', { maxRevocations: -1, windowMs: 1000 }, { maxRevocations: 20, windowMs: 1000 }],
    ['fractional max', { maxRevocations: 2.5, windowMs: 1000 }, { maxRevocations: 20, windowMs: 1000 }],
    ['NaN max', { maxRevocations: Number.NaN, windowMs: 1000 }, { maxRevocations: 20, windowMs: 1000 }],
    ['infinite max', { maxRevocations: Number.POSITIVE_INFINITY, windowMs: 1000 }, { maxRevocations: 20, windowMs: 1000 }],
    ['zero window', { maxRevocations: 5, windowMs: 0 }, { maxRevocations: 5, windowMs: 300_000 }],
    ['infinite window', { maxRevocations: 5, windowMs: Number.POSITIVE_INFINITY }, { maxRevocations: 5, windowMs: 300_000 }],
  ])('%s', (_label, breaker, expected) => {
    expect(breakerSettings({ id: 'p', breaker })).toEqual(expected);
  });
});

describe('resetBreaker', () => {
  test('clears the trip and starts a fresh window; revocations are allowed again', () => {
    const tripped = run(small, [0, 1, 2]).at(-1)!.state;
    const reset = resetBreaker(tripped, after(10_000));
    // Paced for six hours at most: after a reset a spent budget waits for the next window instead of tripping again.
    expect(reset).toEqual({ policyId: 'p', windowStart: after(10_000).toISOString(), count: 0, tripped: false, resetAt: after(10_000).toISOString(), pacedUntil: after(10_000 + 6 * 3600_000).toISOString() });
    expect(recordRevocation(reset, small, after(10_001))).toMatchObject({ allowed: true, justTripped: false });
  });
});

test('property: inside any one window at most maxRevocations are allowed, and after a trip nothing is', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 60 }),
      (maxRevocations, windowMs, gaps) => {
        const policy = { id: 'p', breaker: { maxRevocations, windowMs } };
        let state: BreakerState | undefined;
        let time = T0.getTime();
        let trippedSeen = false;
        const allowedPerWindow = new Map<string, number>();
        for (const gap of gaps) {
          time += gap;
          const outcome = recordRevocation(state, policy, new Date(time));
          if (trippedSeen) expect(outcome.allowed).toBe(false);
          if (outcome.justTripped) trippedSeen = true;
          if (outcome.allowed) {
            const key = outcome.state.windowStart;
            allowedPerWindow.set(key, (allowedPerWindow.get(key) ?? 0) + 1);
            expect(allowedPerWindow.get(key)).toBeLessThanOrEqual(maxRevocations);
            expect(time - Date.parse(key)).toBeLessThan(windowMs);
          }
          expect(outcome.justTripped).toBe(!outcome.allowed && !(state?.tripped ?? false));
          state = outcome.state;
        }
      },
    ),
    { numRuns: 300 },
  );
});

describe('standing access (what the breaker counts) and fresh assignments (what it never spares)', () => {
  const APP = '00000000-0000-4000-8000-000000000018';
  const effective = '2026-11-01T00:00:00.000Z';
  const now = new Date('2026-11-20T12:00:00.000Z');
  test.each<[string, { createdOn?: string; createdBy?: string }, boolean]>([
    ['created before the policy set took effect', { createdOn: '2026-10-31T23:59:59.000Z', createdBy: '00000000-0000-4000-8000-000000000015' }, true],
    ['created by AccessManager itself (a grant), however young', { createdOn: '2026-11-20T11:59:00.000Z', createdBy: APP.toUpperCase() }, true],
    ['older than a day, though after the policy set', { createdOn: '2026-11-19T11:59:59.000Z' }, true],
    ['created a minute ago by dave: fresh', { createdOn: '2026-11-20T11:59:00.000Z', createdBy: '00000000-0000-4000-8000-000000000015' }, false],
    ['created just under a day ago: fresh', { createdOn: '2026-11-19T12:00:01.000Z' }, false],
    ['no createdOn: fresh (revoked, never counted)', {}, false],
    ['an unreadable createdOn: fresh', { createdOn: 'yesterday' }, false],
  ])('%s', (_label, assignment, standing) => {
    expect(isStanding(assignment, { policySetEffectiveAt: effective, appPrincipalId: APP, now })).toBe(standing);
  });

  test('the event never decides it: only ARM createdOn/createdBy go in', () => {
    // Same input with a policy set of unknown age: only the age and the creator count.
    expect(isStanding({ createdOn: '2026-11-20T11:00:00.000Z' }, { policySetEffectiveAt: undefined, appPrincipalId: APP, now })).toBe(false);
  });
});

describe('pacing after a reset', () => {
  test('a spent budget answers "retry at the next window" instead of tripping; after pacing ends it trips again', () => {
    const tripped = run(small, [0, 1, 2]).at(-1)!.state;
    const reset = resetBreaker(tripped, after(10_000));
    expect(isPacing(reset, after(10_000))).toBe(true);
    const outcomes = run(small, [10_001, 10_002, 10_003], reset);
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, false]);
    expect(outcomes[2]).toMatchObject({ justTripped: false, retryAt: after(70_000).toISOString() });
    expect(outcomes[2]!.state.tripped).toBe(false);
    // The next window opens: allowed again, still without a trip.
    expect(recordRevocation(outcomes[2]!.state, small, after(70_000))).toMatchObject({ allowed: true, justTripped: false });
    const ended = endPacing(outcomes[2]!.state);
    expect(ended.pacedUntil).toBeUndefined();
    expect(recordRevocation(ended, small, after(10_004))).toMatchObject({ allowed: false, justTripped: true });
    // Pacing also ends by itself after six hours.
    expect(isPacing(reset, after(10_000 + 6 * 3600_000))).toBe(false);
  });
});
