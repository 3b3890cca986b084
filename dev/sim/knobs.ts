/**
 * Test knobs of the simulator: fault injection, event delivery behaviour, paging. All faults
 * are off by default; tests flip them at runtime (directly or through PATCH /sim/knobs).
 */
import { z } from 'zod';
import type { ThrottleSpec } from './arm/throttle';

export type ArmFailureStatus = 429 | 500 | 'mixed';

export interface SimKnobs {
  /** Delay before the first delivery attempt of every event. */
  eventDelayMs: number;
  /** Share (0..1) of events delivered twice. */
  duplicateRate: number;
  /** Buffer events for `reorderWindowMs` and deliver each batch shuffled. */
  reorder: boolean;
  reorderWindowMs: number;
  /** Share (0..1) of events never delivered (as if Event Grid lost them). */
  dropRate: number;
  /** Share (0..1) of ARM calls answered with `armFailureStatus` before doing anything. */
  armFailureRate: number;
  /** 429 (throttled), 500, or 'mixed' (429, 500 and 503 at random). */
  armFailureStatus: ArmFailureStatus;
  /** `Retry-After` of injected 429 answers. */
  retryAfterSeconds: number;
  /** Share (0..1) of Graph calls answered 429/503 before doing anything. */
  graphFailureRate: number;
  /** Page size of ARM list answers (`nextLink` beyond it). */
  pageSize: number;
  /** Default page size of Graph collections when no `$top` is given. */
  graphPageSize: number;
  /** Master switch: false means no write emits an event. */
  emitEvents: boolean;
  /** Delivery attempts per event before it is dead-lettered. */
  maxDeliveryAttempts: number;
  /** First redelivery delay; it doubles per attempt up to `retryMaxMs` (Event Grid's schedule, scaled down). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deliveries in flight at once. */
  deliveryConcurrency: number;
  /** How long a delivery waits for the webhook's answer (Event Grid: 30 s). */
  deliveryTimeoutMs: number;
  /** Seed of the simulator's random choices, so a run with faults is reproducible. */
  seed: number;
  /**
   * ARM's token buckets (per subscription and caller; dev/sim/arm/throttle): null is off (the
   * default, so tests that do not study throttling are not slowed); `ARM_LIMITS` are Azure's.
   */
  armThrottle: ThrottleSpec | null;
  /**
   * Round trip added to every ARM call (root surface, 429s and injected faults included), in
   * milliseconds: 0 (default) answers at loopback speed; a benchmark sets Azure-like values.
   */
  armLatencyMs: number;
}

export const DEFAULT_KNOBS: Readonly<SimKnobs> = Object.freeze({
  eventDelayMs: 0,
  duplicateRate: 0,
  reorder: false,
  reorderWindowMs: 25,
  dropRate: 0,
  armFailureRate: 0,
  armFailureStatus: 429,
  retryAfterSeconds: 0,
  graphFailureRate: 0,
  pageSize: 100,
  graphPageSize: 100,
  emitEvents: true,
  maxDeliveryAttempts: 10,
  retryBaseMs: 100,
  retryMaxMs: 3200,
  deliveryConcurrency: 16,
  deliveryTimeoutMs: 30_000,
  seed: 1,
  armThrottle: null,
  armLatencyMs: 0,
});

const rate = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const millis = z.number().int('must be whole milliseconds').min(0, 'must not be negative');
const count = z.number().int('must be a whole number').min(1, 'must be at least 1');

const bucketSchema = z.object({ burst: count, perSecond: z.number().positive('must be positive') }).strict();

/** A partial update of the knobs, as PATCH /sim/knobs accepts it; unknown names are refused so typos show. */
export const knobsPatchSchema = z
  .object({
    eventDelayMs: millis,
    duplicateRate: rate,
    reorder: z.boolean(),
    reorderWindowMs: millis,
    dropRate: rate,
    armFailureRate: rate,
    armFailureStatus: z.union([z.literal(429), z.literal(500), z.literal('mixed')]),
    retryAfterSeconds: z.number().int().min(0).max(60, 'keep Retry-After small (at most 60 s)'),
    graphFailureRate: rate,
    pageSize: count.max(1000, 'ARM pages hold at most 1000 items'),
    graphPageSize: count.max(999, 'Graph pages hold at most 999 items'),
    emitEvents: z.boolean(),
    maxDeliveryAttempts: count.max(30),
    retryBaseMs: millis,
    retryMaxMs: millis,
    deliveryConcurrency: count.max(256),
    deliveryTimeoutMs: count,
    seed: z.number().int(),
    armThrottle: z
      .object({ reads: bucketSchema, writes: bucketSchema, deletes: bucketSchema })
      .strict()
      .nullable(),
    armLatencyMs: millis.max(10_000, 'keep the ARM latency at most 10 s'),
  })
  .partial()
  .strict();

/** How many times each knobs object's seed was assigned: any assignment, even of the same value, restarts the random sequence. */
const seedGenerations = new WeakMap<SimKnobs, { count: number }>();

export function makeKnobs(overrides: Partial<SimKnobs> = {}): SimKnobs {
  const knobs: SimKnobs = { ...DEFAULT_KNOBS, ...knobsPatchSchema.parse(overrides) };
  const generation = { count: 0 };
  let seed = knobs.seed;
  Object.defineProperty(knobs, 'seed', {
    enumerable: true,
    get: () => seed,
    set: (value: number) => {
      seed = value;
      generation.count += 1;
    },
  });
  seedGenerations.set(knobs, generation);
  return knobs;
}

/**
 * Deterministic random numbers (mulberry32) that follow `knobs.seed`: assigning the seed at
 * runtime restarts the sequence, so a test that sets a seed sees the same faults every run.
 */
export class SeededRandom {
  private stateWord = 0;
  private seededWith: number | undefined;
  private seenGeneration = -1;

  constructor(private readonly knobs: SimKnobs) {}

  /** A number in [0, 1). */
  next(): number {
    const generation = seedGenerations.get(this.knobs)?.count ?? 0;
    if (this.seededWith !== this.knobs.seed || this.seenGeneration !== generation) {
      this.seededWith = this.knobs.seed;
      this.seenGeneration = generation;
      this.stateWord = this.knobs.seed >>> 0;
    }
    this.stateWord = (this.stateWord + 0x6d2b79f5) >>> 0;
    let t = this.stateWord;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p`; never consumes a number when p is 0, so an unused knob does not shift the sequence. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
