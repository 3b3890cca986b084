/**
 * Conversation references in the `state` container, as `conv:<objectId>` and
 * `conv:channel:<hash of channel id>`, so any instance can send a card to anyone who installed the app.
 */
import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import type { CapturedReference, ConversationRepository, ConversationTarget } from '../../ports/conversations';
import { deleteDoc, queryDocs, readDoc, upsertDoc } from './document';

/** Where a bot message goes, as stored (here and with every sent card). */
export const conversationTargetSchema = z.object({
  serviceUrl: z.string().url(),
  conversationId: z.string().min(1),
  conversationType: z.string(),
  tenantId: z.string().optional(),
  botId: z.string().min(1),
  userId: z.string().optional(),
  userName: z.string().optional(),
  userObjectId: z.string().optional(),
}) satisfies z.ZodType<ConversationTarget>;

const storedReferenceSchema = conversationTargetSchema.extend({
  id: z.string(),
  type: z.literal('conversationReference'),
  updatedAt: z.string(),
});
type StoredReference = z.infer<typeof storedReferenceSchema>;

const personKey = (objectId: string) => `conv:${objectId.toLowerCase()}`;
/** Channel ids (`19:...@thread.tacv2`) may carry characters Cosmos ids do not allow; hashed, they never do. */
const channelKey = (channelId: string) => `conv:channel:${createHash('sha256').update(channelId).digest('hex')}`;

function sameTarget(a: ConversationTarget, b: ConversationTarget): boolean {
  const keys: Array<keyof ConversationTarget> = ['serviceUrl', 'conversationId', 'conversationType', 'tenantId', 'botId', 'userId', 'userName', 'userObjectId'];
  return keys.every((k) => a[k] === b[k]);
}

function toTarget(doc: StoredReference): ConversationTarget {
  const { id: _id, type: _type, updatedAt: _updatedAt, ...target } = doc;
  return target;
}

export class ConversationStore implements ConversationRepository {
  constructor(private readonly state: Container) {}

  async forPerson(objectId: string): Promise<ConversationTarget | undefined> {
    const found = await readDoc(this.state, personKey(objectId), personKey(objectId), storedReferenceSchema);
    return found ? toTarget(found.doc) : undefined;
  }

  async forPeople(objectIds: readonly string[]): Promise<Map<string, ConversationTarget>> {
    const found = new Map<string, ConversationTarget>();
    const ids = [...new Set(objectIds.map(personKey))];
    if (ids.length === 0) return found;
    const { items } = await queryDocs(this.state, { query: 'SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.id)', parameters: [{ name: '@ids', value: ids }] }, storedReferenceSchema);
    for (const doc of items) found.set(doc.id.slice('conv:'.length), toTarget(doc));
    return found;
  }

  async forChannel(channelId: string): Promise<ConversationTarget | undefined> {
    const found = await readDoc(this.state, channelKey(channelId), channelKey(channelId), storedReferenceSchema);
    return found ? toTarget(found.doc) : undefined;
  }

  /** Remembers a reference; an unchanged one is not rewritten (Teams repeats them on every message). Last writer wins otherwise: the newest reference is the right one. */
  async remember(captured: CapturedReference, now: Date): Promise<void> {
    const id = captured.kind === 'person' ? personKey(captured.objectId) : channelKey(captured.channelId);
    const existing = await readDoc(this.state, id, id, storedReferenceSchema);
    if (existing && sameTarget(toTarget(existing.doc), captured.target)) return;
    await upsertDoc(this.state, { id, type: 'conversationReference' as const, ...captured.target, updatedAt: now.toISOString() });
  }

  /** The app was removed from a person's Teams: stop trying to reach them there. */
  async forget(objectId: string): Promise<void> {
    await deleteDoc(this.state, personKey(objectId), personKey(objectId));
  }
}
