/** Timers on their schedules: fired on time (by the host's clock), never overlapping, failures logged and scheduling on, clean stop. */
import type { Timer } from '@azure/functions';
import { startHost, type LocalHost } from '../../dev/host';
import type { FunctionSpec } from '../../functions/types';
import { ConfigError } from '../../shared/domain/errors';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(20);
  }
}

// The host's clock starts 1.5 s before New Year 2027, so a yearly schedule fires during the test.
const clockOffset = Date.parse('2026-12-31T23:59:58.500Z') - Date.now();
const hostNow = () => new Date(Date.now() + clockOffset);

const lines: string[] = [];
const slowStarts: number[] = [];
let slowRunning = 0;
let slowOverlap = false;
let slowInProgress = false;
const newYearRuns: Timer[] = [];
let failures = 0;

const functions: FunctionSpec[] = [
  {
    kind: 'timer',
    name: 'slowEverySecond',
    schedule: '* * * * * *',
    handler: async () => {
      slowRunning++;
      slowInProgress = true;
      if (slowRunning > 1) slowOverlap = true;
      slowStarts.push(Date.now());
      // The first run outlasts the next tick, which must be skipped, not overlapped.
      await sleep(slowStarts.length === 1 ? 1600 : 300);
      slowRunning--;
      slowInProgress = false;
    },
  },
  {
    kind: 'timer',
    name: 'failingEverySecond',
    schedule: '*/1 * * * * *',
    handler: async () => {
      failures++;
      throw new Error(`failure ${failures}`);
    },
  },
  {
    kind: 'timer',
    name: 'newYear',
    schedule: '0 0 0 1 JAN *',
    handler: async (timer) => {
      newYearRuns.push(timer);
    },
  },
];

let host: LocalHost;
beforeAll(async () => {
  host = await startHost({ port: 0, functions, runTimers: true, nowForTimers: hostNow, log: (l) => lines.push(l) });
});
afterAll(async () => {
  await host.stop();
});

test('a yearly schedule fires at its occurrence on the host clock, with its schedule status', async () => {
  await waitFor(() => newYearRuns.length === 1);
  const timer = newYearRuns[0]!;
  expect(timer.isPastDue).toBe(false);
  expect(timer.scheduleStatus.next).toBe('2028-01-01T00:00:00.000Z');
  expect(Date.parse(timer.scheduleStatus.lastUpdated)).toBeGreaterThanOrEqual(Date.parse('2027-01-01T00:00:00.000Z'));
  expect(lines).toContainEqual(expect.stringMatching(/^timer newYear \(scheduled\) ok \d+ms$/));
});

test('a run that outlasts its tick makes the next tick skip: never two at once', async () => {
  await waitFor(() => slowStarts.length >= 3, 8000);
  expect(slowOverlap).toBe(false);
  expect(lines).toContainEqual(expect.stringMatching(/^timer slowEverySecond skipped the .* occurrence: the previous run is still going$/));
});

test('failures are logged and the schedule goes on', async () => {
  await waitFor(() => failures >= 2);
  expect(lines.filter((l) => l.startsWith('timer failingEverySecond (scheduled) failed')).length).toBeGreaterThanOrEqual(2);
  expect(lines).toContainEqual(expect.stringContaining('Error: failure 1'));
});

test('stop waits for the run in progress and nothing runs after it', async () => {
  await waitFor(() => slowInProgress);
  await host.stop();
  expect(slowInProgress).toBe(false);
  const runs = slowStarts.length;
  const failed = failures;
  await sleep(1200);
  expect(slowStarts.length).toBe(runs);
  expect(failures).toBe(failed);
  await expect(host.runTimer('newYear')).rejects.toThrow(/stopped/);
  await expect(fetch(`${host.url}/`)).rejects.toThrow();
});

test('a bad schedule or a duplicate name stops start-up with a ConfigError naming the function', async () => {
  const handler = async () => undefined;
  await expect(startHost({ port: 0, functions: [{ kind: 'timer', name: 'broken', schedule: '0 */5 * * *', handler }] })).rejects.toThrow(
    new ConfigError('Timer function "broken": Invalid NCRONTAB schedule "0 */5 * * *": expected six fields "{second} {minute} {hour} {day} {month} {day-of-week}", got 5.'),
  );
  await expect(
    startHost({
      port: 0,
      functions: [
        { kind: 'timer', name: 'twice', schedule: '0 0 * * * *', handler },
        { kind: 'eventGrid', name: 'Twice', handler },
      ],
    }),
  ).rejects.toThrow(/Two functions are named "Twice"/);
  await expect(
    startHost({
      port: 0,
      functions: [
        { kind: 'http', name: 'a', route: 'x/{id}', methods: ['GET'], handler: async () => ({}) },
        { kind: 'http', name: 'b', route: '/X/{id}/', methods: ['GET', 'POST'], handler: async () => ({}) },
      ],
    }),
  ).rejects.toThrow(/Functions "a" and "b" both serve/);
});
