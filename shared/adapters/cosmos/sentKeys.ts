/**
 * Idempotency of notifications across retries and instances: before sending, a sender claims
 * `sent:<sha256(key)>` in the `state` container with a create, which only one caller can win.
 * A send that fails releases its claim so the next retry may send; a crash between claim and
 * send loses that one message, which beats spamming people on every retry.
 */
import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import { ConflictError } from '../../domain/errors';
import { createDoc, deleteDoc } from './document';

/** Real Cosmos drops claims after 30 days (the embedded store keeps them). */
const CLAIM_TTL_SECONDS = 30 * 24 * 3600;

const idOf = (key: string) => `sent:${createHash('sha256').update(key).digest('hex')}`;

export class SentKeys {
  constructor(private readonly state: Container) {}

  /** True when this caller won the right to send; false when someone already did (or is doing it). */
  async claim(key: string, now: Date): Promise<boolean> {
    try {
      await createDoc(this.state, { id: idOf(key), type: 'sentKey', key: key.slice(0, 500), at: now.toISOString(), ttl: CLAIM_TTL_SECONDS });
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await deleteDoc(this.state, idOf(key), idOf(key));
  }
}
