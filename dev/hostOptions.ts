/** What dev/appHost.ts is started with, and the scaled clock it (and its parent) run on. */
import type { Clock } from '../shared/domain/clock';

export interface AppHostOptions {
  /** Settings as loadConfig reads them. */
  settings: Record<string, string>;
  /** PEM certificate of the local servers. */
  ca: string;
  port: number;
  instanceTag: string;
  /** Time runs `speed` times faster from `epochMs` (one-minute grants expire within seconds). */
  clock?: { epochMs: number; speed: number };
  /** The audit ledger's lease (how long a killed host's unfinished append holds its key). */
  auditLeaseMs?: number;
}

/** A clock running `speed` times faster than the real one from `epochMs` on; every process given the same two agrees. */
export function scaledClock(epochMs: number, speed: number): Clock {
  return { now: () => new Date(epochMs + (Date.now() - epochMs) * speed) };
}
