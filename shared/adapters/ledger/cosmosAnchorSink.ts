/**
 * The default AnchorSink: one document `audit-anchor:<chainId>` per chain in the `state`
 * container, moved forward by compare-and-swap so a late or repeated write never moves it back.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { compareAndSwap } from '../cosmos/cas';
import { queryDocs, readDoc } from '../cosmos/document';
import { chainAnchorSchema, type ChainAnchor } from '../../domain/audit/anchor';
import type { AnchorSink } from '../../ports/audit';

export const ANCHOR_ID_PREFIX = 'audit-anchor:';

const anchorDocSchema = chainAnchorSchema.extend({ id: z.string() });

type AnchorDoc = z.infer<typeof anchorDocSchema>;

export function anchorDocId(chainId: string): string {
  return `${ANCHOR_ID_PREFIX}${chainId}`;
}

/** Whether `next` may replace `current`: never backwards, and a closed anchor is final. */
export function anchorMovesForward(current: ChainAnchor | undefined, next: ChainAnchor): boolean {
  if (!current) return true;
  if (current.closed === true) return false;
  return next.seq > current.seq || (next.seq === current.seq && next.closed === true);
}

export class CosmosAnchorSink implements AnchorSink {
  readonly name: string;

  constructor(private readonly state: Container) {
    this.name = `cosmos:${state.id}`;
  }

  async write(anchor: ChainAnchor): Promise<void> {
    const id = anchorDocId(anchor.chainId);
    const doc: AnchorDoc = { id, chainId: anchor.chainId, seq: anchor.seq, hash: anchor.hash, at: anchor.at, ...(anchor.closed ? { closed: true } : {}) };
    await compareAndSwap<AnchorDoc>(this.state, id, id, anchorDocSchema, (current) => (anchorMovesForward(current, doc) ? doc : current), { create: true });
  }

  async read(chainId: string): Promise<ChainAnchor | undefined> {
    const id = anchorDocId(chainId);
    const found = await readDoc(this.state, id, id, anchorDocSchema);
    if (!found) return undefined;
    const { id: _id, ...anchor } = found.doc;
    return anchor;
  }

  async readAll(): Promise<ChainAnchor[]> {
    const { items } = await queryDocs(
      this.state,
      { query: 'SELECT * FROM c WHERE STARTSWITH(c.id, @prefix)', parameters: [{ name: '@prefix', value: ANCHOR_ID_PREFIX }] },
      anchorDocSchema,
    );
    return items.map(({ id: _id, ...anchor }) => anchor);
  }
}
