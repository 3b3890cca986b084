/**
 * Pure verification of one chain, fed its stored documents in id order a page at a time (memory
 * stays bounded by the page). Says at which record the chain first stops being the one the ledger
 * wrote, and why.
 */
import { GENESIS_PREV_HASH, hashOf, recordId, seqOfRecordId } from './record';
import type { ChainAnchor } from './anchor';

export interface ChainProblem {
  /** The first record (in chain order) at which verification fails; for a missing record, its id. */
  badId: string;
  problem: string;
}

/** An anchor together with the sink it came from (named in problem texts). */
export interface SourcedAnchor {
  sink: string;
  anchor: ChainAnchor;
}

/** How much of a verified chain lies past its last anchor: what a writer of the store could still rewrite or cut off undetected. */
export interface ChainTail {
  chainId: string;
  records: number;
  /** The newest anchored seq per anchor sink (-1: that sink holds no anchor of the chain). */
  anchoredSeq: Record<string, number>;
  /** Records after the anchor of the sink that lags most. */
  unanchoredRecords: number;
  /** From that anchor's time to the newest record's time. */
  unanchoredSeconds: number;
  /** Closed by a clean shutdown: nothing may follow. */
  closed: boolean;
}

export class ChainWalker {
  private nextSeq = 0;
  private prevHash = GENESIS_PREV_HASH;
  private failed: ChainProblem | undefined;
  private firstAt: string | undefined;
  private lastAt: string | undefined;

  constructor(
    readonly chainId: string,
    private readonly anchors: readonly SourcedAnchor[] = [],
  ) {}

  /** Records verified so far. */
  get checked(): number {
    return this.nextSeq;
  }

  /** Feeds the next stored document (system properties may still be on it); returns the first problem, once found. */
  next(doc: Readonly<Record<string, unknown>>): ChainProblem | undefined {
    if (this.failed) return this.failed;
    this.failed = this.judge(doc);
    if (!this.failed) {
      this.prevHash = doc['hash'] as string;
      this.nextSeq += 1;
      if (typeof doc['at'] === 'string') {
        this.firstAt ??= doc['at'];
        this.lastAt = doc['at'];
      }
    }
    return this.failed;
  }

  /** The chain's unanchored tail, for the sinks given (each sink's newest anchor of this chain, if any). */
  tail(sinks: readonly string[]): ChainTail {
    const lastSeq = this.nextSeq - 1;
    const anchoredSeq: Record<string, number> = {};
    let weakest: SourcedAnchor | undefined;
    let weakestSeq = Number.POSITIVE_INFINITY;
    for (const sink of sinks) {
      const anchor = this.anchors.filter((a) => a.sink === sink).sort((a, b) => b.anchor.seq - a.anchor.seq)[0];
      const seq = anchor?.anchor.seq ?? -1;
      anchoredSeq[sink] = seq;
      if (seq < weakestSeq) {
        weakestSeq = seq;
        weakest = anchor;
      }
    }
    const unanchoredRecords = Math.max(0, lastSeq - (Number.isFinite(weakestSeq) ? weakestSeq : lastSeq));
    const from = weakest ? Date.parse(weakest.anchor.at) : this.firstAt ? Date.parse(this.firstAt) : NaN;
    const to = this.lastAt ? Date.parse(this.lastAt) : NaN;
    const unanchoredSeconds = unanchoredRecords > 0 && !Number.isNaN(from) && !Number.isNaN(to) ? Math.max(0, Math.round((to - from) / 100) / 10) : 0;
    return { chainId: this.chainId, records: this.nextSeq, anchoredSeq, unanchoredRecords, unanchoredSeconds, closed: this.anchors.some((a) => a.anchor.closed === true && a.anchor.seq === lastSeq) };
  }

  /** Call after the last document: catches an empty chain and records cut off after an anchor. */
  finish(): ChainProblem | undefined {
    if (this.failed) return this.failed;
    if (this.nextSeq === 0) {
      // Registered but never written (the process stopped between registering and its genesis
      // record) is harmless; an anchor proves records existed, so then the chain was deleted.
      const proof = this.anchors[0];
      if (!proof) return undefined;
      this.failed = {
        badId: recordId(this.chainId, 0),
        problem: `chain ${this.chainId} has no records but ${proof.sink} anchored its seq ${proof.anchor.seq} at ${proof.anchor.at}: the whole chain was deleted`,
      };
      return this.failed;
    }
    for (const { sink, anchor } of this.anchors) {
      if (anchor.seq >= this.nextSeq) {
        this.failed = {
          badId: recordId(this.chainId, anchor.seq),
          problem: `chain ${this.chainId} ends at seq ${this.nextSeq - 1} but ${sink} anchored seq ${anchor.seq} at ${anchor.at}: the newest records were cut off`,
        };
        return this.failed;
      }
    }
    return undefined;
  }

  private judge(doc: Readonly<Record<string, unknown>>): ChainProblem | undefined {
    const seq = this.nextSeq;
    const expectedId = recordId(this.chainId, seq);
    const id = doc['id'];
    if (typeof id !== 'string') return { badId: expectedId, problem: `a document of chain ${this.chainId} has no string id` };
    if (id !== expectedId) {
      const foundSeq = seqOfRecordId(this.chainId, id);
      if (foundSeq !== undefined && foundSeq > seq) {
        return { badId: expectedId, problem: `record ${expectedId} is missing (the chain jumps to ${id}): it was deleted` };
      }
      return { badId: id, problem: `record ${id} does not belong in chain ${this.chainId} at seq ${seq}: it was inserted` };
    }
    if (doc['seq'] !== seq || doc['chainId'] !== this.chainId) {
      return { badId: id, problem: `record ${id} carries chainId ${JSON.stringify(doc['chainId'])} and seq ${JSON.stringify(doc['seq'])}: its content was moved or swapped` };
    }
    if (seq === 0 && doc['action'] !== 'chain.opened') {
      return { badId: id, problem: `record ${id} should be the chain.opened genesis record but is ${JSON.stringify(doc['action'])}` };
    }
    if (doc['prevHash'] !== this.prevHash) {
      return {
        badId: id,
        problem:
          seq === 0
            ? `genesis record ${id} has prevHash ${JSON.stringify(doc['prevHash'])} instead of 64 zeros`
            : `record ${id} does not link to ${recordId(this.chainId, seq - 1)} (prevHash differs): a record was inserted, reordered or rewritten`,
      };
    }
    let recomputed: string;
    try {
      recomputed = hashOf(doc);
    } catch (err) {
      return { badId: id, problem: `record ${id} cannot be hashed: ${(err as Error).message}` };
    }
    if (doc['hash'] !== recomputed) {
      return { badId: id, problem: `record ${id} was changed after it was written (its hash does not match its content)` };
    }
    for (const { sink, anchor } of this.anchors) {
      if (anchor.seq === seq && anchor.hash !== recomputed) {
        return { badId: id, problem: `record ${id} differs from the head ${sink} anchored at ${anchor.at}: the chain was rewritten from here or earlier` };
      }
      if (anchor.closed === true && seq > anchor.seq) {
        return { badId: id, problem: `record ${id} comes after ${recordId(this.chainId, anchor.seq)}, where ${sink} recorded the chain as closed: it was appended by someone else` };
      }
    }
    return undefined;
  }
}

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  firstBadId?: string;
  problem?: string;
}

/** Verifies a whole chain held in memory (documents in any order; they are walked in id order). */
export function verifyChainRecords(chainId: string, docs: ReadonlyArray<Readonly<Record<string, unknown>>>, anchors: readonly SourcedAnchor[] = []): ChainVerdict {
  const walker = new ChainWalker(chainId, anchors);
  const sorted = [...docs].sort((a, b) => compareIds(String(a['id']), String(b['id'])));
  let problem: ChainProblem | undefined;
  for (const doc of sorted) {
    problem = walker.next(doc);
    if (problem) break;
  }
  problem ??= walker.finish();
  return problem ? { ok: false, checked: walker.checked, firstBadId: problem.badId, problem: problem.problem } : { ok: true, checked: walker.checked };
}

/** Plain code-unit order, the order Cosmos's ORDER BY c.id gives for ASCII ids. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
