/** How cards write lengths of time and instants: for people reading a chat, in UTC. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function unit(count: number, name: string): string {
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}

/** `8 hours`, `1 day 2 hours`, `45 minutes`; below a minute, `less than a minute`. Two units at most. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < MINUTE) return 'less than a minute';
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  const parts: string[] = [];
  if (days) parts.push(unit(days, 'day'));
  if (hours) parts.push(unit(hours, 'hour'));
  if (minutes && !days) parts.push(unit(minutes, 'minute'));
  return parts.slice(0, 2).join(' ');
}

/** `2025-03-01 14:05 UTC`, or the text itself when it is not a date. */
export function formatInstant(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `3 hours 20 minutes left (until 2025-03-01 14:05 UTC)`, or `passed at ...` once it is over. */
export function timeLeft(untilIso: string, now: Date): string {
  const left = Date.parse(untilIso) - now.getTime();
  if (Number.isNaN(left)) return untilIso;
  if (left <= 0) return `passed at ${formatInstant(untilIso)}`;
  return `${humanDuration(left)} left (until ${formatInstant(untilIso)})`;
}
