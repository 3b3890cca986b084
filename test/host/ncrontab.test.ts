/** NCRONTAB schedules through cron-parser: the six-field form, UTC, strictly-after, and what is refused (all times UTC). */
import fc from 'fast-check';
import { nextOccurrence, parseNcrontab } from '../../dev/host/ncrontab';
import { ValidationError } from '../../shared/domain/errors';

const next = (expression: string, after: string) => nextOccurrence(parseNcrontab(expression), new Date(after)).toISOString();

describe('nextOccurrence', () => {
  const cases: [string, string, string][] = [
    // [schedule, after, expected next]
    ['0 * * * * *', '2026-11-20T10:00:00Z', '2026-11-20T10:01:00.000Z'], // the expiry timer
    ['0 * * * * *', '2026-11-20T10:00:59.999Z', '2026-11-20T10:01:00.000Z'],
    ['0 */15 * * * *', '2026-11-20T10:14:59Z', '2026-11-20T10:15:00.000Z'], // the reconcile timer
    ['0 */15 * * * *', '2026-11-20T10:45:00Z', '2026-11-20T11:00:00.000Z'],
    ['* * * * * *', '2026-11-20T10:00:00.500Z', '2026-11-20T10:00:01.000Z'],
    ['0 0 * * * *', '2026-12-31T23:30:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 30 9 * * MON-FRI', '2026-11-20T10:00:00Z', '2026-11-23T09:30:00.000Z'], // Fri after 9:30 -> Mon
    ['0 0 12 * * 7', '2026-11-20T00:00:00Z', '2026-11-22T12:00:00.000Z'], // 7 is Sunday too
    ['0 0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'], // next leap day
    ['0 0 0 1 JAN *', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'], // strictly after
    ['5,10,15-17 0 0 * * *', '2026-11-20T00:00:17Z', '2026-11-21T00:00:05.000Z'],
    ['  0   0  6  *  *  *  ', '2026-11-20T07:00:00Z', '2026-11-21T06:00:00.000Z'],
  ];
  test.each(cases)('%s after %s is %s', (schedule, after, expected) => {
    expect(next(schedule, after)).toBe(expected);
  });

  test('property: the result is later, on a whole second of the schedule, within one period', () => {
    const schedule = parseNcrontab('*/7 3,33 */6 * * *');
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (after) => {
        const at = nextOccurrence(schedule, after);
        expect(at.getTime()).toBeGreaterThan(after.getTime());
        expect(at.getUTCSeconds() % 7).toBe(0);
        expect([3, 33]).toContain(at.getUTCMinutes());
        expect(at.getUTCHours() % 6).toBe(0);
        expect(at.getUTCMilliseconds()).toBe(0);
        expect(at.getTime() - after.getTime()).toBeLessThanOrEqual(6 * 3600 * 1000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseNcrontab refuses what the Functions host would not run, naming the schedule', () => {
  const bad: [string, RegExp][] = [
    ['* * * * *', /expected six fields .* got 5/],
    ['0 0 * * * * *', /got 7/],
    ['', /got 0/],
    ['60 * * * * *', /range 0-59/],
    ['0 0 24 * * *', /range 0-23/],
    ['*/0 * * * * *', /every 0/],
    ['0 0 0 * FOO *', /foo/i],
    ['0 0 0 30 2 *', /day of month/],
    // NCrontab needs a restricted day AND day-of-week to match, cron either: not run here at all.
    ['0 0 0 13 * 5', /dayOfMonth and dayOfWeek/],
    // cron-parser's extensions, which NCrontab does not have.
    ['0 0 0 L * *', /syntax NCRONTAB does not have/],
    ['0 0 0 ? * MON', /syntax NCRONTAB does not have/],
    ['H * * * * *', /syntax NCRONTAB does not have/],
  ];
  test.each(bad)('%j', (expression, message) => {
    let thrown: unknown;
    try {
      parseNcrontab(expression);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toMatch(/^Invalid NCRONTAB schedule "/);
  });

  test('property: any string either parses or throws ValidationError', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('*', '/', '-', ',', ' ', '0', '1', '5', '7', '59', '60', 'JAN', 'mon', 'x', 'L', '#', '?'), { maxLength: 30 }), (tokens) => {
        try {
          parseNcrontab(tokens.join(''));
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
