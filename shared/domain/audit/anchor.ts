/** A chain head as anchored: the newest record's seq and hash at a moment (see ports/audit AnchorSink). */
import { z } from 'zod';

export const chainAnchorSchema = z.object({
  chainId: z.string(),
  /** seq of the chain's newest record when the anchor was taken. */
  seq: z.number().int().nonnegative(),
  /** hash of that record. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  /** Set by close(): the chain ends here, so any record after `seq` is forged. */
  closed: z.boolean().optional(),
});

export type ChainAnchor = z.infer<typeof chainAnchorSchema>;
