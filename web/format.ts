/** How the portal writes times, durations and scopes; the wording matches the Teams cards (shared/domain/cards/cardFormat). */
import { formatDuration, parseDuration } from '../shared/domain/policy/duration';

export { formatInstant, timeLeft } from '../shared/domain/cards/cardFormat';
export { formatDuration };

/** `PT8H` -> `8 hours`; an unreadable duration is shown as written. */
export function durationLabel(iso: string): string {
  try {
    return humanLabel(parseDuration(iso));
  } catch {
    return iso;
  }
}

function humanLabel(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export interface DurationChoice {
  value: string;
  label: string;
}

/** Usual lengths within a role's limits, and the maximum itself, shortest first. */
export function durationChoices(minMs: number | undefined, maxMs: number): DurationChoice[] {
  const ladder = [15, 30, 60, 120, 240, 480, 1440, 4320, 10080].map((m) => m * 60_000);
  const allowed = ladder.filter((ms) => ms <= maxMs && (minMs === undefined || ms >= minMs));
  if (!allowed.includes(maxMs)) allowed.push(maxMs);
  return allowed.map((ms) => ({ value: formatDuration(ms), label: humanLabel(ms) }));
}

/** Short name of an ARM scope: `rg-weights`, `stweights`, `subscription 0000…`. */
export function scopeLabel(scope: string): string {
  const parts = scope.split('/').filter(Boolean);
  const type = parts[parts.length - 2]?.toLowerCase();
  const name = parts[parts.length - 1] ?? '/';
  return type === 'subscriptions' ? `subscription ${name}` : name;
}
