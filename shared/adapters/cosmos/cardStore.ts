/**
 * The approval cards sent for each request (`cards:<requestId>` in the `state` container): who
 * got one, in which conversation, under which activity id. This is what lets every card be
 * updated in place when the request changes. Appends go through the compare-and-swap helper,
 * so cards sent by racing instances are all kept.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { compareAndSwap } from './cas';
import { conversationTargetSchema } from './conversationStore';
import { readDoc } from './document';

export const sentCardSchema = conversationTargetSchema.omit({ userName: true }).extend({
  /** Entra object id (lower case) of the person, or `channel:<channel id>`. */
  recipient: z.string().min(1),
  activityId: z.string().min(1),
  sentAt: z.string(),
  /** For channel cards: the Teams user ids whose clients refresh the card. */
  refreshUserIds: z.array(z.string()).optional(),
});
export type SentCard = z.infer<typeof sentCardSchema>;

const requestCardsSchema = z.object({
  id: z.string(),
  type: z.literal('requestCards'),
  requestId: z.string(),
  cards: z.array(sentCardSchema),
});
type RequestCards = z.infer<typeof requestCardsSchema>;

const keyOf = (requestId: string) => `cards:${requestId}`;

export class CardStore {
  constructor(private readonly state: Container) {}

  async cardsOf(requestId: string): Promise<SentCard[]> {
    const found = await readDoc(this.state, keyOf(requestId), keyOf(requestId), requestCardsSchema);
    return found?.doc.cards ?? [];
  }

  /**
   * Records sent cards in one write; a second card for a recipient who already has one keeps
   * the first (the one people already see).
   */
  async add(requestId: string, sent: readonly SentCard[]): Promise<void> {
    if (sent.length === 0) return;
    const id = keyOf(requestId);
    await compareAndSwap(
      this.state,
      id,
      id,
      requestCardsSchema,
      (current): RequestCards | undefined => {
        const known = new Set(current?.cards.map((c) => c.recipient));
        const fresh = sent.filter((c) => !known.has(c.recipient));
        if (fresh.length === 0) return undefined;
        return { id, type: 'requestCards', requestId, cards: [...(current?.cards ?? []), ...fresh] };
      },
      { create: true },
    );
  }
}
