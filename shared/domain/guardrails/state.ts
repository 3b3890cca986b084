/**
 * What AccessManager remembers about one guarded resource (one document per storage account or
 * vault, read with one point read per event): per setting, the episode of the current deviation
 * and what was recorded for it, when it was fixed (to see a fight), and whether remediation is
 * held off; the patches AccessManager made lately (to recognise the events of its own writes);
 * and the approved exceptions in force.
 *
 * An *episode* is one deviation of one setting, from the moment it is seen to the moment it is
 * fixed or found fixed. Audit keys carry it, so a redelivered event records nothing twice while
 * a new deviation with the same value (someone flips it back) is a new episode.
 */
import { z } from 'zod';
import { deterministicGuid, scopeKey } from '../armIds';

const iso = z.string().min(1);
const jsonScalar = z.union([z.string(), z.boolean()]);

export const OPEN_ACTIONS = ['remediate', 'wouldRemediate', 'violation'] as const;
export type OpenAction = (typeof OPEN_ACTIONS)[number];

export const propertyStateSchema = z.object({
  episode: z.number().int().nonnegative().default(0),
  /** The deviation being handled: the value seen (as JSON), what was decided, and since when. */
  open: z.object({ value: z.string(), action: z.enum(OPEN_ACTIONS), since: iso }).optional(),
  /** When AccessManager's own fixes of this setting landed, newest last (a few only). */
  remediations: z.array(iso).default([]),
  /** While set and in the future, this setting is contested: not remediated, not re-alerted. */
  contestedUntil: iso.optional(),
});
export type PropertyState = z.infer<typeof propertyStateSchema>;

export const guardrailExceptionSchema = z.object({
  /** The id of the approved request's outcome (its `grantId`). */
  id: z.string(),
  requestId: z.string(),
  property: z.string(),
  allowedValue: jsonScalar,
  startsAt: iso,
  expiresAt: iso,
  requester: z.object({ id: z.string(), name: z.string() }),
  compensatingControl: z.string(),
});
export type GuardrailException = z.infer<typeof guardrailExceptionSchema>;

const recentPatchSchema = z.object({ at: iso, properties: z.array(z.string()) });

export const guardrailStateSchema = z.object({
  id: z.string(),
  type: z.literal('guardrailState').default('guardrailState'),
  resourceId: z.string(),
  properties: z.record(z.string(), propertyStateSchema).default({}),
  recentPatches: z.array(recentPatchSchema).default([]),
  exceptions: z.array(guardrailExceptionSchema).default([]),
  /** The earliest `expiresAt` of the exceptions: what the exception timer queries. */
  nextExceptionEnd: iso.optional(),
  /** The latest `contestedUntil` of its settings: what health queries. */
  contestedUntil: iso.optional(),
});
export type GuardrailState = z.infer<typeof guardrailStateSchema>;

/** The state document's id: one per resource, whatever case its id arrives in. */
export function guardrailStateId(resourceId: string): string {
  return `guardrail:${deterministicGuid('guardrail-state', scopeKey(resourceId))}`;
}

export function emptyState(resourceId: string): GuardrailState {
  return { id: guardrailStateId(resourceId), type: 'guardrailState', resourceId, properties: {}, recentPatches: [], exceptions: [] };
}

export function propertyState(state: GuardrailState | undefined, property: string): PropertyState {
  return state?.properties[property] ?? { episode: 0, remediations: [] };
}

/** How long a patch of ours is remembered to recognise its event, and how many are kept. */
export const OWN_WRITE_MEMORY_MS = 10 * 60_000;
const RECENT_PATCHES_KEPT = 10;
const REMEDIATIONS_KEPT = 20;

/** The properties AccessManager itself patched on this resource lately. */
export function recentlyPatched(state: GuardrailState | undefined, now: Date): Set<string> {
  const since = now.getTime() - OWN_WRITE_MEMORY_MS;
  return new Set((state?.recentPatches ?? []).filter((p) => Date.parse(p.at) >= since).flatMap((p) => p.properties));
}

/** Exceptions in force at `now`. */
export function activeExceptions(state: GuardrailState | undefined, now: Date): GuardrailException[] {
  const t = now.getTime();
  return (state?.exceptions ?? []).filter((e) => Date.parse(e.startsAt) <= t && t < Date.parse(e.expiresAt));
}

function withNextEnd(state: GuardrailState): GuardrailState {
  const ends = state.exceptions.map((e) => e.expiresAt).sort();
  const { nextExceptionEnd: _old, ...rest } = state;
  return ends[0] ? { ...rest, nextExceptionEnd: ends[0] } : rest;
}

/** Adds an approved exception (the same id twice is one exception). */
export function withException(state: GuardrailState, exception: GuardrailException): GuardrailState {
  if (state.exceptions.some((e) => e.id === exception.id)) return state;
  return withNextEnd({ ...state, exceptions: [...state.exceptions, exception] });
}

/** Drops the exceptions that ended by `now`; the same object when none did. */
export function withoutEndedExceptions(state: GuardrailState, now: Date): { state: GuardrailState; ended: GuardrailException[] } {
  const ended = state.exceptions.filter((e) => Date.parse(e.expiresAt) <= now.getTime());
  if (ended.length === 0) return { state, ended };
  return { state: withNextEnd({ ...state, exceptions: state.exceptions.filter((e) => !ended.includes(e)) }), ended };
}

function setProperty(state: GuardrailState, property: string, next: PropertyState): GuardrailState {
  return { ...state, properties: { ...state.properties, [property]: next } };
}

/** Opens (or re-opens with another value) the deviation of `episode`; unchanged when the episode moved on. */
export function withOpen(state: GuardrailState, property: string, episode: number, open: NonNullable<PropertyState['open']>): GuardrailState {
  const current = propertyState(state, property);
  if (current.episode !== episode) return state;
  if (current.open && current.open.value === open.value && current.open.action === open.action) return state;
  return setProperty(state, property, { ...current, open });
}

/** Closes the deviation of `episode` (the setting complies now); a fix of ours is remembered for fight detection. */
export function withClosed(state: GuardrailState, property: string, episode: number, fixedByUsAt?: string): GuardrailState {
  const current = propertyState(state, property);
  if (current.episode !== episode) return state;
  const { open: _open, ...rest } = current;
  const remediations = fixedByUsAt ? [...current.remediations, fixedByUsAt].slice(-REMEDIATIONS_KEPT) : current.remediations;
  return setProperty(state, property, { ...rest, episode: episode + 1, remediations });
}

/** Marks a setting contested until `until`; its fix history starts again afterwards. */
export function withContested(state: GuardrailState, property: string, episode: number, until: string): GuardrailState {
  const current = propertyState(state, property);
  if (current.episode !== episode || current.contestedUntil === until) return state;
  const { open: _open, ...rest } = current;
  const next = setProperty(state, property, { ...rest, remediations: [], contestedUntil: until });
  return state.contestedUntil !== undefined && state.contestedUntil > until ? next : { ...next, contestedUntil: until };
}

/** Remembers a patch of ours, so its event is recognised as ours. */
export function withPatch(state: GuardrailState, at: string, properties: readonly string[]): GuardrailState {
  return { ...state, recentPatches: [...state.recentPatches, { at, properties: [...properties] }].slice(-RECENT_PATCHES_KEPT) };
}
