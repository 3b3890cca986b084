/** Repeated rogue creations by one actor: counted per decision, one alert per window. */
import { countRogueCreation, ROGUE_ACTOR_ALERT, type RogueActorState } from '../../shared/domain/enforcement/rogueActors';

const DAVE = '00000000-0000-4000-8000-000000000015';
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function countAll(decisions: Array<[string, number]>, start?: RogueActorState) {
  let state = start;
  return decisions.map(([decision, ms]) => {
    const r = countRogueCreation(state, DAVE, decision, at(ms));
    state = r.state;
    return r;
  });
}

test('the third creation within the window raises the alert, once', () => {
  const results = countAll([
    ['a', 0],
    ['b', 1000],
    ['c', 2000],
    ['d', 3000],
  ]);
  expect(results.map((r) => r.alert)).toEqual([false, false, true, false]);
  expect(results[2]!.state).toMatchObject({ count: 3, alertedAt: at(2000).toISOString() });
});

test('a redelivered decision is not counted twice', () => {
  const results = countAll([
    ['a', 0],
    ['a', 10],
    ['b', 20],
    ['b', 30],
  ]);
  expect(results.at(-1)!.state.count).toBe(2);
  expect(results.some((r) => r.alert)).toBe(false);
});

test('a new window starts over and may alert again', () => {
  const first = countAll([
    ['a', 0],
    ['b', 1],
    ['c', 2],
  ]);
  const later = countAll(
    [
      ['d', ROGUE_ACTOR_ALERT.windowMs],
      ['e', ROGUE_ACTOR_ALERT.windowMs + 1],
      ['f', ROGUE_ACTOR_ALERT.windowMs + 2],
    ],
    first.at(-1)!.state,
  );
  expect(later[0]!.state).toMatchObject({ count: 1, windowStart: at(ROGUE_ACTOR_ALERT.windowMs).toISOString() });
  expect(later.map((r) => r.alert)).toEqual([false, false, true]);
});

test('after the alert, more creations in the same window change nothing to store (a burst costs no writes)', () => {
  const results = countAll([
    ['a', 0],
    ['b', 1],
    ['c', 2],
    ['d', 3],
    ['e', 4],
  ]);
  expect(results.map((r) => r.changed)).toEqual([true, true, true, false, false]);
});
