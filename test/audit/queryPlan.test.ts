/** Audit query filters, their SQL and our continuation tokens, as pure values. */
import { decodeContinuationToken, encodeContinuationToken, parseAuditQueryFilter } from '../../shared/domain/audit/queryPlan';
import { buildAuditQuery } from '../../shared/adapters/ledger/queryAudit';
import { ValidationError } from '../../shared/domain/errors';

describe('parseAuditQueryFilter', () => {
  test('defaults and HTTP-style strings', () => {
    expect(parseAuditQueryFilter({})).toEqual({ limit: 50 });
    expect(parseAuditQueryFilter({ limit: '500', from: '2025-01-01', to: '2025-01-02T00:00:00+01:00' })).toEqual({
      limit: 500,
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-01-01T23:00:00.000Z',
    });
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['limit too large', { limit: 501 }, /limit must be at most 500/],
    ['limit zero', { limit: '0' }, /limit must be at least 1/],
    ['limit not a number', { limit: 'many' }, /limit must be a whole number/],
    ['unknown action', { action: 'grant.exploded' }, /action must be one of request.created/],
    ['scope without slash', { scope: 'rg-weights' }, /scope must be an ARM scope/],
    ['bad date', { from: 'last tuesday' }, /from must be an ISO 8601/],
    ['from after to', { from: '2025-02-01', to: '2025-01-01' }, /from must be earlier than to/],
    ['unknown parameter', { principal: 'x' }, /Unrecognized key/],
  ])('%s', (_name, input, message) => {
    expect(() => parseAuditQueryFilter(input)).toThrow(ValidationError);
    expect(() => parseAuditQueryFilter(input)).toThrow(message);
  });
});

describe('continuation tokens', () => {
  test('round-trip', () => {
    const cursor = { at: '2025-03-01T10:00:00.000Z', id: 'am-0123abcd:0000000042' };
    const token = encodeContinuationToken(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinuationToken(token)).toEqual(cursor);
  });

  test.each([
    ['garbage', 'not a token!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', Buffer.from(JSON.stringify({ v: 2, at: 'x', id: 'y' })).toString('base64url')],
    ['a Cosmos SDK token', Buffer.from(JSON.stringify({ token: '+RID:abc', range: {} })).toString('base64url')],
    ['empty', ''],
  ])('%s is a ValidationError', (_name, token) => {
    expect(() => decodeContinuationToken(token)).toThrow(ValidationError);
    expect(() => decodeContinuationToken(token)).toThrow(/not one this API issued/);
  });
});

describe('buildAuditQuery', () => {
  test('no filter: newest first, nothing else', () => {
    expect(buildAuditQuery(parseAuditQueryFilter({}), undefined, 51)).toEqual({
      query: 'SELECT TOP @take * FROM c ORDER BY c.at DESC, c.id DESC',
      parameters: [{ name: '@take', value: 51 }],
    });
  });

  test('every filter is a parameter; scope matches whole segments only', () => {
    const spec = buildAuditQuery(
      parseAuditQueryFilter({ principalId: "p' OR 1=1", scope: '/subscriptions/S/resourceGroups/RG-Weights/', action: 'grant.created', requestId: 'r1', grantId: 'g1', from: '2025-01-01', to: '2025-02-01' }),
      { at: '2025-01-15T00:00:00.000Z', id: 'am-00000000:0000000001' },
      11,
    );
    expect(spec.query).toBe(
      'SELECT TOP @take * FROM c WHERE c.principalId = @principalId AND c.action = @action AND c.requestId = @requestId AND c.grantId = @grantId AND (c.scopeKey = @scopeKey OR STARTSWITH(c.scopeKey, @scopePrefix)) AND c.at >= @from AND c.at < @to AND (c.at < @afterAt OR (c.at = @afterAt AND c.id < @afterId)) ORDER BY c.at DESC, c.id DESC',
    );
    expect(spec.parameters).toEqual(
      expect.arrayContaining([
        { name: '@principalId', value: "p' OR 1=1" },
        { name: '@scopeKey', value: '/subscriptions/s/resourcegroups/rg-weights' },
        { name: '@scopePrefix', value: '/subscriptions/s/resourcegroups/rg-weights/' },
      ]),
    );
  });
});
