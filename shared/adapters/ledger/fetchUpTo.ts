/**
 * Collects up to `n` query results across the SDK's own pages: real Cosmos may return short or
 * even empty pages while results remain, so one page is not "the first n".
 */
import type { Container, SqlQuerySpec } from '@azure/cosmos';
import type { ZodType } from 'zod';
import { queryDocs, type PartitionKeyValue } from '../cosmos/document';

export async function fetchUpTo<T>(container: Container, spec: SqlQuerySpec, schema: ZodType<T>, n: number, partitionKey?: PartitionKeyValue): Promise<T[]> {
  const items: T[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await queryDocs(container, spec, schema, {
      maxItemCount: n - items.length,
      ...(partitionKey !== undefined ? { partitionKey } : {}),
      ...(continuationToken !== undefined ? { continuationToken } : {}),
    });
    items.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined && items.length < n);
  return items.slice(0, n);
}
