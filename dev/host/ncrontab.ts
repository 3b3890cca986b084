/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC by cron-parser.
 * Only syntax both understand is accepted, so a schedule that runs here also runs in Azure:
 * cron-parser's strict mode refuses a day AND a day-of-week (NCrontab requires both to match,
 * cron either), and its extensions (`L`, `W`, `#`, `?`, `H`, `@daily`) are refused here.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../../shared/domain/errors';

/** A schedule known to be valid; parse it with parseNcrontab. */
export interface NcrontabSchedule {
  readonly expression: string;
}

/** `*`, numbers, lists, ranges, steps and three-letter month or day names. */
const FIELD = /^(?:[*\d,/-]|[A-Za-z]{3})+$/;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/).filter((f) => f.length > 0);
  if (fields.length !== 6) {
    throw invalid(expression, `expected six fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${fields.length}`);
  }
  const odd = fields.find((f) => !FIELD.test(f));
  if (odd !== undefined) throw invalid(expression, `field "${odd}" uses syntax NCRONTAB does not have`);
  const schedule = { expression: fields.join(' ') };
  nextOccurrence(schedule, new Date(0));
  return schedule;
}

/** The first occurrence strictly after `after` (whole seconds, UTC). */
export function nextOccurrence(schedule: NcrontabSchedule, after: Date): Date {
  try {
    return CronExpressionParser.parse(schedule.expression, { currentDate: after, tz: 'UTC', strict: true }).next().toDate();
  } catch (err) {
    throw invalid(schedule.expression, err instanceof Error ? err.message : String(err));
  }
}

function invalid(expression: string, problem: string): ValidationError {
  return new ValidationError(`Invalid NCRONTAB schedule "${expression}": ${problem}.`, 'InvalidSchedule');
}
