/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC. Like NCrontab
 * (and unlike Vixie cron), a restricted day and day-of-week must BOTH match.
 */
import { ValidationError } from '../../shared/domain/errors';

export interface NcrontabSchedule {
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday. */
  daysOfWeek: ReadonlySet<number>;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is accepted as Sunday, as in NCrontab and cron.
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES },
];

const LONGEST_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The Gregorian calendar repeats every 400 years: a schedule with no occurrence by then has none. */
const SEARCH_YEARS = 400;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/).filter((f) => f.length > 0);
  if (fields.length !== 6) {
    throw invalid(expression, `expected six fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${fields.length}`);
  }
  const sets = fields.map((field, i) => parseField(expression, field, FIELDS[i]!));
  const [seconds, minutes, hours, days, months, rawDaysOfWeek] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const daysOfWeek = new Set([...rawDaysOfWeek].map((d) => d % 7));
  const possible = [...months].some((m) => [...days].some((d) => d <= LONGEST_MONTH[m - 1]!));
  if (!possible) throw invalid(expression, 'no month in the schedule has any of its days, so it never occurs');
  return { expression, seconds, minutes, hours, days, months, daysOfWeek };
}

/** The first occurrence strictly after `after` (whole seconds, UTC). */
export function nextOccurrence(schedule: string | NcrontabSchedule, after: Date): Date {
  const s = typeof schedule === 'string' ? parseNcrontab(schedule) : schedule;
  if (Number.isNaN(after.getTime())) throw new ValidationError('nextOccurrence: `after` is not a valid date.');
  let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  const lastYear = new Date(t).getUTCFullYear() + SEARCH_YEARS;
  for (;;) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    if (year > lastYear) throw invalid(s.expression, `no occurrence within ${SEARCH_YEARS} years`);
    if (!s.months.has(month)) {
      const nextMonth = nextIn(s.months, month);
      t = nextMonth === undefined ? Date.UTC(year + 1, firstOf(s.months) - 1, 1) : Date.UTC(year, nextMonth - 1, 1);
      continue;
    }
    if (!s.days.has(day) || !s.daysOfWeek.has(d.getUTCDay())) {
      t = Date.UTC(year, month - 1, day + 1);
      continue;
    }
    const hour = d.getUTCHours();
    if (!s.hours.has(hour)) {
      const nextHour = nextIn(s.hours, hour);
      t = nextHour === undefined ? Date.UTC(year, month - 1, day + 1) : Date.UTC(year, month - 1, day, nextHour);
      continue;
    }
    const minute = d.getUTCMinutes();
    if (!s.minutes.has(minute)) {
      const nextMinute = nextIn(s.minutes, minute);
      t = nextMinute === undefined ? Date.UTC(year, month - 1, day, hour + 1) : Date.UTC(year, month - 1, day, hour, nextMinute);
      continue;
    }
    const second = d.getUTCSeconds();
    if (!s.seconds.has(second)) {
      const nextSecond = nextIn(s.seconds, second);
      t =
        nextSecond === undefined
          ? Date.UTC(year, month - 1, day, hour, minute + 1)
          : Date.UTC(year, month - 1, day, hour, minute, nextSecond);
      continue;
    }
    return d;
  }
}

function parseField(expression: string, field: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    if (item.length === 0) throw invalid(expression, `${spec.name} field "${field}" has an empty list item`);
    const [rangePart, stepPart, extra] = item.split('/');
    if (extra !== undefined) throw invalid(expression, `${spec.name} field item "${item}" has more than one "/"`);
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) < 1) {
        throw invalid(expression, `${spec.name} field item "${item}": the step must be a whole number of at least 1`);
      }
      step = Number(stepPart);
    }
    // Day-of-week ranges open at the top stop at Saturday, so "*/2" does not add Sunday twice as 7.
    const fieldEnd = spec.name === 'day-of-week' ? 6 : spec.max;
    let from: number;
    let to: number;
    if (rangePart === '*') {
      from = spec.min;
      to = fieldEnd;
    } else {
      const bounds = rangePart!.split('-');
      if (bounds.length > 2) throw invalid(expression, `${spec.name} field item "${item}" is not a value, range or step`);
      from = parseValue(expression, bounds[0]!, spec);
      // "a/n" means from a to the end of the field, stepping n.
      to = bounds[1] !== undefined ? parseValue(expression, bounds[1], spec) : stepPart !== undefined ? fieldEnd : from;
      if (from > to) throw invalid(expression, `${spec.name} field range "${rangePart}" runs backwards`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function parseValue(expression: string, token: string, spec: FieldSpec): number {
  let value: number | undefined;
  if (/^\d+$/.test(token)) value = Number(token);
  else if (spec.names) {
    const upper = token.toUpperCase();
    const index = spec.names.findIndex((n) => upper === n || upper === FULL_NAMES[n]);
    if (index >= 0) value = index + (spec.name === 'month' ? 1 : 0);
  }
  if (value === undefined) {
    const hint = spec.names ? ` or a name (${spec.names.join(', ')})` : '';
    throw invalid(expression, `${spec.name} field value "${token}" is not a number${hint}`);
  }
  if (value < spec.min || value > spec.max) {
    throw invalid(expression, `${spec.name} field value ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

const FULL_NAMES: Record<string, string> = {
  JAN: 'JANUARY', FEB: 'FEBRUARY', MAR: 'MARCH', APR: 'APRIL', MAY: 'MAY', JUN: 'JUNE', JUL: 'JULY', AUG: 'AUGUST',
  SEP: 'SEPTEMBER', OCT: 'OCTOBER', NOV: 'NOVEMBER', DEC: 'DECEMBER', SUN: 'SUNDAY', MON: 'MONDAY', TUE: 'TUESDAY',
  WED: 'WEDNESDAY', THU: 'THURSDAY', FRI: 'FRIDAY', SAT: 'SATURDAY',
};

function nextIn(set: ReadonlySet<number>, current: number): number | undefined {
  let best: number | undefined;
  for (const v of set) if (v > current && (best === undefined || v < best)) best = v;
  return best;
}

function firstOf(set: ReadonlySet<number>): number {
  return Math.min(...set);
}

function invalid(expression: string, problem: string): ValidationError {
  return new ValidationError(`Invalid NCRONTAB schedule "${expression}": ${problem}.`, 'InvalidSchedule');
}
