/**
 * Runs timer functions on their NCRONTAB schedules and on demand. Like the Functions host's
 * singleton lock, one timer never runs twice at once: a scheduled tick that finds a run still
 * going is skipped, and an on-demand run waits for it. Failures are logged; the schedule goes on.
 */
import type { Timer } from '@azure/functions';
import type { TimerFunction } from '../../functions/types';
import { NotFoundError } from '../../shared/domain/errors';
import { nextOccurrence, parseNcrontab, type NcrontabSchedule } from './ncrontab';

export type InvokeTimer = (spec: TimerFunction, timer: Timer) => Promise<void>;

export interface TimerSchedulerOptions {
  functions: readonly TimerFunction[];
  invoke: InvokeTimer;
  now: () => Date;
  log: (line: string) => void;
}

interface TimerState {
  spec: TimerFunction;
  schedule: NcrontabSchedule;
  handle?: NodeJS.Timeout;
  /** Runs started or queued and not yet finished. */
  pending: number;
  /** The end of the queue of runs: the next run starts after it settles. */
  tail: Promise<void>;
  lastOccurrence?: Date;
  lastScheduled?: Date;
}

/** setTimeout cannot wait longer than about 24.8 days; longer waits are taken in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A tick that starts this late after its occurrence is reported as past due. */
const PAST_DUE_AFTER_MS = 1000;

export class TimerScheduler {
  readonly #states = new Map<string, TimerState>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #options: TimerSchedulerOptions;
  readonly #startedAt: Date;
  #scheduling = false;
  #stopped = false;

  constructor(options: TimerSchedulerOptions) {
    this.#options = options;
    this.#startedAt = options.now();
    for (const spec of options.functions) {
      this.#states.set(spec.name, { spec, schedule: parseNcrontab(spec.schedule), pending: 0, tail: Promise.resolve() });
    }
  }

  /** Arms every timer on its schedule. */
  start(): void {
    if (this.#stopped || this.#scheduling) return;
    this.#scheduling = true;
    for (const state of this.#states.values()) this.#arm(state);
  }

  has(name: string): boolean {
    return this.#states.has(name);
  }

  /** Next due time of each armed timer (for the listing at `/`). */
  nextDue(name: string): Date | undefined {
    const state = this.#states.get(name);
    return state && this.#scheduling ? nextOccurrence(state.schedule, this.#base(state)) : undefined;
  }

  /** Runs now (after any run in progress); settles when this run ends, rejecting with its error. */
  runNow(name: string): Promise<void> {
    const state = this.#states.get(name);
    if (!state) return Promise.reject(new NotFoundError(`No timer function named "${name}".`));
    if (this.#stopped) return Promise.reject(new Error(`The host is stopped; timer "${name}" was not run.`));
    return this.#enqueue(state, undefined);
  }

  /** Disarms every timer and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const state of this.#states.values()) {
      if (state.handle) clearTimeout(state.handle);
      state.handle = undefined;
    }
    await Promise.allSettled([...this.#inFlight]);
  }

  #base(state: TimerState): Date {
    const now = this.#options.now();
    return state.lastScheduled && state.lastScheduled > now ? state.lastScheduled : now;
  }

  #arm(state: TimerState): void {
    if (this.#stopped) return;
    const due = nextOccurrence(state.schedule, this.#base(state));
    this.#wait(state, due);
  }

  #wait(state: TimerState, due: Date): void {
    const delay = Math.max(0, due.getTime() - this.#options.now().getTime());
    state.handle = setTimeout(() => {
      state.handle = undefined;
      if (this.#stopped) return;
      if (this.#options.now().getTime() < due.getTime()) this.#wait(state, due);
      else this.#tick(state, due);
    }, Math.min(delay, MAX_TIMEOUT_MS));
  }

  #tick(state: TimerState, due: Date): void {
    state.lastScheduled = due;
    if (state.pending > 0) {
      this.#options.log(`timer ${state.spec.name} skipped the ${due.toISOString()} occurrence: the previous run is still going`);
    } else {
      // Scheduled failures were logged by the run; the schedule carries on regardless.
      this.#enqueue(state, due).catch(() => undefined);
    }
    this.#arm(state);
  }

  #enqueue(state: TimerState, due: Date | undefined): Promise<void> {
    state.pending++;
    const run = state.tail.then(() => this.#execute(state, due));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    state.tail = settled;
    this.#inFlight.add(settled);
    void settled.then(() => {
      state.pending--;
      this.#inFlight.delete(settled);
    });
    return run;
  }

  async #execute(state: TimerState, due: Date | undefined): Promise<void> {
    const startedAt = this.#options.now();
    const timer: Timer = {
      isPastDue: due !== undefined && startedAt.getTime() - due.getTime() > PAST_DUE_AFTER_MS,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (state.lastOccurrence ?? this.#startedAt).toISOString(),
        next: nextOccurrence(state.schedule, due && due > startedAt ? due : startedAt).toISOString(),
        lastUpdated: startedAt.toISOString(),
      },
    };
    if (due) state.lastOccurrence = due;
    const began = performance.now();
    const how = due ? 'scheduled' : 'on demand';
    try {
      await this.#options.invoke(state.spec, timer);
      this.#options.log(`timer ${state.spec.name} (${how}) ok ${Math.round(performance.now() - began)}ms`);
    } catch (err) {
      const reason = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.#options.log(`timer ${state.spec.name} (${how}) failed ${Math.round(performance.now() - began)}ms: ${reason}`);
      throw err;
    }
  }
}
