/**
 * Delivers events to the host's webhook the way Event Grid does: asynchronously, one event
 * per POST (an Event Grid schema array), at-least-once, retried with exponential back-off on
 * 5xx/429/timeouts until `maxDeliveryAttempts`, never retried on the status codes Event Grid
 * treats as permanent. The knobs add delays, duplicates, drops and reordering for tests.
 */
import http from 'node:http';
import https from 'node:https';
import type { SeededRandom, SimKnobs } from '../knobs';
import type { EventGridEvent } from './armEvent';

export type DeliveryOutcome = 'pending' | 'delivered' | 'rejected' | 'deadLettered' | 'dropped' | 'noWebhook' | 'cancelled';

export interface DeliveryRecord {
  eventId: string;
  eventType: string;
  subject: string;
  /** 0 for the original, 1 for a duplicate made by the `duplicateRate` knob. */
  copy: number;
  attempts: number;
  outcome: DeliveryOutcome;
  /** Last HTTP status, or the connection error's message. */
  lastResult?: number | string;
  event: EventGridEvent;
}

/** Event Grid does not retry these answers from a webhook: the request itself is wrong. */
const NOT_RETRIED = new Set([400, 401, 403, 404, 413]);
const RECORD_LIMIT = 1000;

interface Job {
  body: string;
  eventType: string;
  record: DeliveryRecord;
  attempt: number;
}

interface Target {
  url: URL;
  transport: typeof http | typeof https;
  agent: http.Agent;
}

export class EventDelivery {
  private target: Target | undefined;
  private readonly ready: Job[] = [];
  private readyHead = 0;
  private buffer: Job[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<http.ClientRequest>();
  private waiting = 0;
  private inFlight = 0;
  private deliveredCount = 0;
  private attemptCount = 0;
  private records: DeliveryRecord[] = [];
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly knobs: SimKnobs,
    private readonly random: SeededRandom,
    webhook: string | undefined,
    private readonly ca: string | undefined,
    /** The Event Grid subscription's name, sent as `aeg-subscription-name`. */
    private readonly subscriptionName = 'ACCESSMANAGER-ARM-EVENTS',
  ) {
    this.setWebhook(webhook);
  }

  /** Where events go; undefined records them as `noWebhook` without sending. */
  setWebhook(webhook: string | undefined): void {
    this.target?.agent.destroy();
    if (!webhook) {
      this.target = undefined;
      return;
    }
    const url = new URL(webhook);
    const secure = url.protocol === 'https:';
    const agent = secure ? new https.Agent({ keepAlive: true, ca: this.ca }) : new http.Agent({ keepAlive: true });
    this.target = { url, transport: secure ? https : http, agent };
  }

  get webhook(): string | undefined {
    return this.target?.url.toString();
  }

  /** Hands an event to delivery; returns at once (the ARM answer never waits for it). */
  publish(event: EventGridEvent): void {
    if (this.stopped || !this.knobs.emitEvents) return;
    const copies = this.random.chance(this.knobs.duplicateRate) ? 2 : 1;
    const dropped = this.random.chance(this.knobs.dropRate);
    let body: string | undefined;
    for (let copy = 0; copy < copies; copy++) {
      const record: DeliveryRecord = { eventId: event.id, eventType: event.eventType, subject: event.subject, copy, attempts: 0, outcome: 'pending', event };
      this.remember(record);
      if (dropped) {
        record.outcome = 'dropped';
        continue;
      }
      if (!this.target) {
        record.outcome = 'noWebhook';
        continue;
      }
      body ??= JSON.stringify([event]);
      const job: Job = { body, eventType: event.eventType, record, attempt: 0 };
      if (this.knobs.reorder) this.hold(job);
      else this.release(job);
    }
  }

  /** Successful deliveries (2xx answers), duplicates included. */
  delivered(): number {
    return this.deliveredCount;
  }

  /** POSTs sent, retries included. */
  attempts(): number {
    return this.attemptCount;
  }

  /** Deliveries buffered, delayed, waiting to retry, queued or in flight. */
  pending(): number {
    return this.buffer.length + this.waiting + (this.ready.length - this.readyHead) + this.inFlight;
  }

  /** Resolves once nothing is queued or in flight (at once if already so). */
  idle(): Promise<void> {
    if (this.pending() === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The latest delivery records, oldest first (at most 1000). */
  recent(): readonly DeliveryRecord[] {
    return this.records;
  }

  clearRecords(): void {
    this.records = [];
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.requests) r.destroy();
    this.requests.clear();
    for (const job of [...this.buffer, ...this.ready.slice(this.readyHead)]) job.record.outcome = 'cancelled';
    this.buffer = [];
    this.ready.length = 0;
    this.readyHead = 0;
    this.waiting = 0;
    this.inFlight = 0;
    this.target?.agent.destroy();
    this.settleIdle();
  }

  private remember(record: DeliveryRecord): void {
    this.records.push(record);
    if (this.records.length > RECORD_LIMIT * 2) this.records = this.records.slice(-RECORD_LIMIT);
  }

  /** Reorder mode: collect for a short window, then let the batch go in shuffled order. */
  private hold(job: Job): void {
    this.buffer.push(job);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.random.shuffle(this.buffer);
      this.buffer = [];
      for (const j of batch) this.release(j);
      this.settleIdle();
    }, this.knobs.reorderWindowMs);
  }

  private release(job: Job): void {
    if (this.knobs.eventDelayMs > 0) this.later(job, this.knobs.eventDelayMs);
    else this.enqueue(job);
  }

  private later(job: Job, ms: number): void {
    this.waiting += 1;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.waiting -= 1;
      this.enqueue(job);
    }, ms);
    this.timers.add(t);
  }

  private enqueue(job: Job): void {
    this.ready.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.knobs.deliveryConcurrency && this.readyHead < this.ready.length) {
      const job = this.ready[this.readyHead] as Job;
      this.readyHead += 1;
      this.send(job);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  private send(job: Job): void {
    const target = this.target;
    if (!target) {
      job.record.outcome = 'noWebhook';
      this.settleIdle();
      return;
    }
    this.inFlight += 1;
    this.attemptCount += 1;
    job.attempt += 1;
    job.record.attempts = job.attempt;
    let settled = false;
    const done = (result: number | string): void => {
      if (settled) return;
      settled = true;
      this.requests.delete(req);
      this.finish(job, result);
    };
    const req = target.transport.request(
      target.url,
      {
        method: 'POST',
        agent: target.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(job.body),
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': this.subscriptionName,
          'aeg-delivery-count': String(job.attempt - 1),
          'aeg-data-version': '2',
          'aeg-metadata-version': '1',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', (e) => done(e.message));
      },
    );
    this.requests.add(req);
    req.setTimeout(this.knobs.deliveryTimeoutMs, () => req.destroy(new Error(`no answer within ${this.knobs.deliveryTimeoutMs} ms`)));
    req.on('error', (e) => done(e.message));
    req.end(job.body);
  }

  private finish(job: Job, result: number | string): void {
    if (this.stopped) return;
    this.inFlight -= 1;
    job.record.lastResult = result;
    if (typeof result === 'number' && result >= 200 && result <= 204) {
      this.deliveredCount += 1;
      job.record.outcome = 'delivered';
    } else if (typeof result === 'number' && NOT_RETRIED.has(result)) {
      job.record.outcome = 'rejected';
    } else if (job.attempt >= this.knobs.maxDeliveryAttempts) {
      job.record.outcome = 'deadLettered';
    } else {
      this.later(job, Math.min(this.knobs.retryBaseMs * 2 ** (job.attempt - 1), this.knobs.retryMaxMs));
    }
    this.pump();
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || (this.pending() > 0 && !this.stopped)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
