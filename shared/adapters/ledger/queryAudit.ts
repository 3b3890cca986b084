/**
 * Admin queries over the audit ledger: filters from queryPlan, newest first, one page at a time
 * with our own keyset continuation token.
 */
import type { Container, SqlParameter, SqlQuerySpec } from '@azure/cosmos';
import { scopeKey } from '../../domain/armIds';
import { fetchUpTo } from './fetchUpTo';
import { decodeContinuationToken, encodeContinuationToken, parseAuditQueryFilter, type AuditCursor, type AuditQueryFilter, type ParsedAuditQueryFilter } from '../../domain/audit/queryPlan';
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

/**
 * The SQL for one page: every filter is a parameter, newest first on (at, id) - the audit
 * container's composite index - and `TOP @take` with one extra row to learn whether a next page exists.
 */
export function buildAuditQuery(filter: ParsedAuditQueryFilter, after: AuditCursor | undefined, take: number): SqlQuerySpec {
  const where: string[] = [];
  const parameters: SqlParameter[] = [{ name: '@take', value: take }];
  const equals = (field: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`c.${field} = @${field}`);
    parameters.push({ name: `@${field}`, value });
  };
  equals('principalId', filter.principalId);
  equals('action', filter.action);
  equals('requestId', filter.requestId);
  equals('grantId', filter.grantId);
  if (filter.scope !== undefined) {
    const key = scopeKey(filter.scope);
    if (key === '/') {
      where.push('STARTSWITH(c.scopeKey, "/")');
    } else {
      // Segment-safe: the scope itself, or something under it followed by a slash.
      where.push('(c.scopeKey = @scopeKey OR STARTSWITH(c.scopeKey, @scopePrefix))');
      parameters.push({ name: '@scopeKey', value: key }, { name: '@scopePrefix', value: `${key}/` });
    }
  }
  if (filter.from !== undefined) {
    where.push('c.at >= @from');
    parameters.push({ name: '@from', value: filter.from });
  }
  if (filter.to !== undefined) {
    where.push('c.at < @to');
    parameters.push({ name: '@to', value: filter.to });
  }
  if (after !== undefined) {
    where.push('(c.at < @afterAt OR (c.at = @afterAt AND c.id < @afterId))');
    parameters.push({ name: '@afterAt', value: after.at }, { name: '@afterId', value: after.id });
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  return { query: `SELECT TOP @take * FROM c${clause} ORDER BY c.at DESC, c.id DESC`, parameters };
}
