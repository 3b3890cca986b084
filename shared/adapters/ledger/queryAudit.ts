/**
 * Admin queries over the audit ledger: filters from queryPlan, newest first, one page at a time
 * with our own keyset continuation token.
 */
import type { Container } from '@azure/cosmos';
import { fetchUpTo } from './fetchUpTo';
import { buildAuditQuery, decodeContinuationToken, encodeContinuationToken, parseAuditQueryFilter, type AuditQueryFilter } from '../../domain/audit/queryPlan';
import { auditRecordSchema } from '../../domain/audit/record';
import type { AuditQueryPage } from '../../ports/audit';

export type { AuditQueryPage };

/**
 * ValidationError for a bad filter or a token we did not issue. Cross-partition (records of one
 * principal live in every chain): this is the admin path, not the event hot path.
 */
export async function queryAuditRecords(audit: Container, input: AuditQueryFilter): Promise<AuditQueryPage> {
  const filter = parseAuditQueryFilter(input);
  const after = filter.continuationToken !== undefined ? decodeContinuationToken(filter.continuationToken) : undefined;
  const rows = await fetchUpTo(audit, buildAuditQuery(filter, after, filter.limit + 1), auditRecordSchema, filter.limit + 1);
  if (rows.length <= filter.limit) return { items: rows };
  const items = rows.slice(0, filter.limit);
  const last = items[items.length - 1]!;
  return { items, continuationToken: encodeContinuationToken({ at: last.at, id: last.id }) };
}
