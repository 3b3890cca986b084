/** NCRONTAB parsing and next-occurrence arithmetic, by table (all times UTC). */
import fc from 'fast-check';
import { nextOccurrence, parseNcrontab } from '../../dev/host/ncrontab';
import { ValidationError } from '../../shared/domain/errors';

describe('nextOccurrence', () => {
  const cases: [string, string, string][] = [
    // [schedule, after, expected next]
    ['0 * * * * *', '2026-11-20T10:00:00Z', '2026-11-20T10:01:00.000Z'],
    ['0 * * * * *', '2026-11-20T10:00:59.999Z', '2026-11-20T10:01:00.000Z'],
    ['* * * * * *', '2026-11-20T10:00:00.500Z', '2026-11-20T10:00:01.000Z'],
    ['*/5 * * * * *', '2026-11-20T10:00:03Z', '2026-11-20T10:00:05.000Z'],
    ['0 */15 * * * *', '2026-11-20T10:14:59Z', '2026-11-20T10:15:00.000Z'],
    ['0 */15 * * * *', '2026-11-20T10:45:00Z', '2026-11-20T11:00:00.000Z'],
    ['0 0 * * * *', '2026-12-31T23:30:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 30 9 * * 1-5', '2026-11-20T10:00:00Z', '2026-11-23T09:30:00.000Z'], // Fri after 9:30 -> Mon
    ['0 30 9 * * MON-FRI', '2026-11-20T09:00:00Z', '2026-11-20T09:30:00.000Z'],
    ['0 0 12 * * sun', '2026-11-20T00:00:00Z', '2026-11-22T12:00:00.000Z'],
    ['0 0 12 * * 7', '2026-11-20T00:00:00Z', '2026-11-22T12:00:00.000Z'], // 7 is Sunday too
    ['0 0 0 1 * *', '2026-11-20T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['0 0 0 31 * *', '2026-11-01T00:00:00Z', '2026-12-31T00:00:00.000Z'], // November has no 31st
    ['0 0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'], // next leap day
    ['0 0 0 1 JAN,jul *', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['0 0 0 1 1 *', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'], // strictly after
    ['5,10,15-17 0 0 * * *', '2026-11-20T00:00:10Z', '2026-11-20T00:00:15.000Z'],
    ['5,10,15-17 0 0 * * *', '2026-11-20T00:00:17Z', '2026-11-21T00:00:05.000Z'],
    ['10-40/10 * * * * *', '2026-11-20T00:00:31Z', '2026-11-20T00:00:40.000Z'],
    ['10/20 * * * * *', '2026-11-20T00:00:31Z', '2026-11-20T00:00:50.000Z'],
    // NCrontab: a restricted day AND day-of-week must both match (Friday the 13th).
    ['0 0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-02-13T00:00:00.000Z'],
    ['0 0 0 * * */2', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00.000Z'], // Sun, Tue, Thu, Sat: Friday -> Saturday
    ['0 0 0 * * */2', '2026-11-21T00:00:00Z', '2026-11-22T00:00:00.000Z'], // Saturday -> Sunday (no 7)
    ['  0   0  6  *  *  *  ', '2026-11-20T07:00:00Z', '2026-11-21T06:00:00.000Z'],
  ];
  test.each(cases)('%s after %s is %s', (schedule, after, expected) => {
    expect(nextOccurrence(schedule, new Date(after)).toISOString()).toBe(expected);
  });

  test('a parsed schedule can be reused', () => {
    const s = parseNcrontab('0 */5 * * * *');
    const first = nextOccurrence(s, new Date('2026-11-20T10:01:00Z'));
    expect(nextOccurrence(s, first).toISOString()).toBe('2026-11-20T10:10:00.000Z');
  });

  test('property: the result is later, matches every field, and nothing in between matches', () => {
    const schedule = parseNcrontab('*/7 3,33 */6 * * *');
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (after) => {
        const next = nextOccurrence(schedule, after);
        expect(next.getTime()).toBeGreaterThan(after.getTime());
        expect(schedule.seconds.has(next.getUTCSeconds())).toBe(true);
        expect(schedule.minutes.has(next.getUTCMinutes())).toBe(true);
        expect(schedule.hours.has(next.getUTCHours())).toBe(true);
        expect(next.getUTCMilliseconds()).toBe(0);
        // Within six hours of any instant there is an occurrence.
        expect(next.getTime() - after.getTime()).toBeLessThanOrEqual(6 * 3600 * 1000);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseNcrontab refuses bad schedules with a message naming the problem', () => {
  const bad: [string, RegExp][] = [
    ['* * * * *', /expected six fields .* got 5/],
    ['0 0 * * * * *', /got 7/],
    ['', /got 0/],
    ['60 * * * * *', /second field value 60 is outside 0-59/],
    ['0 0 24 * * *', /hour field value 24 is outside 0-23/],
    ['0 0 0 0 * *', /day field value 0 is outside 1-31/],
    ['0 0 0 * 13 *', /month field value 13 is outside 1-12/],
    ['0 0 0 * * 8', /day-of-week field value 8 is outside 0-7/],
    ['*/0 * * * * *', /step must be a whole number of at least 1/],
    ['*/x * * * * *', /step must be/],
    ['10-5 * * * * *', /runs backwards/],
    ['1,,2 * * * * *', /empty list item/],
    ['0 0 0 * FOO *', /not a number or a name/],
    ['a * * * * *', /second field value "a" is not a number$|is not a number/],
    ['1/2/3 * * * * *', /more than one "\/"/],
    ['1-2-3 * * * * *', /not a value, range or step/],
    ['0 0 0 30 2 *', /never occurs/],
    ['0 0 0 31 4,6,9,11 *', /never occurs/],
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
    expect((thrown as Error).message).toContain(`"${expression}"`);
  });

  test('names are case-insensitive, abbreviated or full', () => {
    expect([...parseNcrontab('0 0 0 * march-May Saturday').months]).toEqual([3, 4, 5]);
    expect([...parseNcrontab('0 0 0 * * tue,THURSDAY').daysOfWeek]).toEqual([2, 4]);
  });

  test('property: any string either parses or throws ValidationError', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('*', '/', '-', ',', ' ', '0', '1', '5', '7', '59', '60', 'JAN', 'mon', 'x'), { maxLength: 30 }), (tokens) => {
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
