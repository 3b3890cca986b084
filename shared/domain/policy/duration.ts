/**
 * ISO 8601 durations as policies and requests write them (`PT8H`, `P1D`, `P1DT12H`). Only
 * fixed-length units are accepted: a day is 24 hours of elapsed time, and years and months
 * are refused because their length depends on the calendar, which a time-bound grant must not.
 */

const MS = { W: 7 * 86_400_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1_000 } as const;

/**
 * The longest duration accepted anywhere: 3650 days. Grants are meant to be short; the cap also
 * keeps `now + duration` inside the range of a JavaScript Date.
 */
export const MAX_DURATION_MS = 3650 * MS.D;

const NUMBER = String.raw`(\d+(?:[.,]\d+)?)`;
const WEEKS = new RegExp(`^P${NUMBER}W$`, 'i');
const DAY_TIME = new RegExp(`^P(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`, 'i');
const CALENDAR_UNITS = /^P(?:[^T]*Y|[^T]*M)/i;

export type DurationCheck = { ok: true; ms: number } | { ok: false; reason: string };

function toNumber(text: string | undefined): number {
  return text === undefined ? 0 : Number(text.replace(',', '.'));
}

/** Parses an ISO 8601 duration without throwing; the reason says how to write it instead. */
export function checkDuration(text: string): DurationCheck {
  const value = text.trim();
  const example = 'write it as ISO 8601 days and time, e.g. PT30M, PT8H, P1D or P1DT12H';
  if (value === '') return { ok: false, reason: `a duration is empty: ${example}` };
  if (CALENDAR_UNITS.test(value)) {
    return { ok: false, reason: `"${value}" uses years or months, whose length varies: use days instead (e.g. P30D)` };
  }
  let ms: number;
  const weeks = WEEKS.exec(value);
  const dayTime = DAY_TIME.exec(value);
  if (weeks) {
    ms = toNumber(weeks[1]) * MS.W;
  } else if (dayTime && value.length > 1 && !/T$/i.test(value)) {
    const [, d, h, m, s] = dayTime;
    ms = toNumber(d) * MS.D + toNumber(h) * MS.H + toNumber(m) * MS.M + toNumber(s) * MS.S;
  } else {
    return { ok: false, reason: `"${value}" is not an ISO 8601 duration: ${example}` };
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) return { ok: false, reason: `"${value}" is longer than the ${formatDuration(MAX_DURATION_MS)} AccessManager accepts` };
  return { ok: true, ms };
}

/** Milliseconds of an ISO 8601 duration; throws a RangeError naming the problem. */
export function parseDuration(text: string): number {
  const result = checkDuration(text);
  if (!result.ok) throw new RangeError(result.reason);
  return result.ms;
}

/** Canonical ISO 8601 form of a length of time: `PT8H`, `P1D`, `P1DT2H30M`, `PT1.5S`; zero is `PT0S`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format ${ms} ms as a duration`);
  let rest = Math.round(ms);
  const days = Math.floor(rest / MS.D);
  rest -= days * MS.D;
  const hours = Math.floor(rest / MS.H);
  rest -= hours * MS.H;
  const minutes = Math.floor(rest / MS.M);
  rest -= minutes * MS.M;
  const seconds = rest / MS.S;
  let time = '';
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds) time += `${Number(seconds.toFixed(3))}S`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
