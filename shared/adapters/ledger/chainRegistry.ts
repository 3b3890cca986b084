/**
 * The registry of audit chains in the `state` container: every chain is listed before its first
 * record is written, so verify notices a chain that vanished entirely and records that belong to
 * no known chain. Sharded by the day a chain was opened (`audit-chains:<yyyy-mm-dd>`): Functions
 * instances come and go often and each opens its own chains, so one document per day stays small
 * and the compare-and-swap on it rarely contends.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { compareAndSwap } from '../cosmos/cas';
import { queryDocs } from '../cosmos/document';

export const REGISTRY_ID_PREFIX = 'audit-chains:';

const registeredChainSchema = z.object({ chainId: z.string(), openedAt: z.string() });

export type RegisteredChain = z.infer<typeof registeredChainSchema>;

const registryDocSchema = z.object({ id: z.string(), chains: z.array(registeredChainSchema) });

type RegistryDoc = z.infer<typeof registryDocSchema>;

export function registryShardId(openedAt: string): string {
  return `${REGISTRY_ID_PREFIX}${openedAt.slice(0, 10)}`;
}

/** Adds a chain to its day's registry document (idempotent: registering twice changes nothing). */
export async function registerChain(state: Container, chain: RegisteredChain): Promise<void> {
  const id = registryShardId(chain.openedAt);
  await compareAndSwap<RegistryDoc>(
    state,
    id,
    id,
    registryDocSchema,
    (current) => {
      if (current?.chains.some((c) => c.chainId === chain.chainId)) return current;
      return { id, chains: [...(current?.chains ?? []), { chainId: chain.chainId, openedAt: chain.openedAt }] };
    },
    // Many instances start together after a scale-out; each opens its chains at once.
    { create: true, maxAttempts: 30 },
  );
}

/** Every registered chain, oldest first (ties by id). One query over the registry documents. */
export async function listRegisteredChains(state: Container): Promise<RegisteredChain[]> {
  const { items } = await queryDocs(
    state,
    { query: 'SELECT * FROM c WHERE STARTSWITH(c.id, @prefix)', parameters: [{ name: '@prefix', value: REGISTRY_ID_PREFIX }] },
    registryDocSchema,
  );
  const byId = new Map<string, RegisteredChain>();
  for (const shard of items) for (const chain of shard.chains) if (!byId.has(chain.chainId)) byId.set(chain.chainId, chain);
  return [...byId.values()].sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0));
}
