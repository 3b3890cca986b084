/** Audit queries against the embedded Cosmos: each filter, combinations, pages, newest first; checked against an in-memory oracle. */
import { AuditLedger } from '../../shared/adapters/ledger/ledger';
import type { AuditQueryFilter } from '../../shared/domain/audit/queryPlan';
import type { AuditAction, AuditEntry, AuditRecord } from '../../shared/domain/audit/record';
import { isWithinScope } from '../../shared/domain/armIds';
import { ValidationError } from '../../shared/domain/errors';
import { startEmbeddedAuditStore, type EmbeddedAuditStore } from './embeddedLedger';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const SCOPES = [
  `${SUB}/resourceGroups/rg-weights`,
  `${SUB}/resourceGroups/rg-weights2`,
  `${SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights`,
  `${SUB}/resourceGroups/RG-WEIGHTS/providers/Microsoft.Storage/storageAccounts/stweights/`,
  `${SUB}/resourceGroups/rg-research`,
  SUB,
];
const ACTIONS: AuditAction[] = ['request.created', 'approval.recorded', 'grant.created', 'assignment.revoked', 'grant.expired'];

let store: EmbeddedAuditStore;
let ledger: AuditLedger;
let all: AuditRecord[];

beforeAll(async () => {
  store = await startEmbeddedAuditStore();
  const stores = await store.freshStores();
  const tick = Date.parse('2025-04-01T08:00:00.000Z');
  // Two records per tick: ties on `at` must still page correctly (id breaks them).
  let calls = 0;
  const now = () => new Date(tick + Math.floor(calls++ / 2) * 1000);
  ledger = new AuditLedger({ audit: stores.audit, state: stores.state, instanceTag: 'query', shards: 3, now });
  for (let i = 0; i < 90; i += 1) {
    const e: AuditEntry = {
      action: ACTIONS[i % ACTIONS.length]!,
      actor: { id: `actor${i % 2}` },
      principalId: `p${i % 4}`,
      scope: SCOPES[i % SCOPES.length]!,
      requestId: `r${i % 7}`,
      ...(i % 3 === 0 ? { grantId: `g${i % 5}` } : {}),
    };
    await ledger.append(e);
  }
  await ledger.close();
  const { resources } = await stores.audit.items.query<AuditRecord>('SELECT * FROM c').fetchAll();
  all = resources;
}, 60_000);

afterAll(async () => {
  await store.stop();
});

function oracle(f: AuditQueryFilter): string[] {
  return all
    .filter((r) => f.principalId === undefined || r.principalId === f.principalId)
    .filter((r) => f.action === undefined || r.action === f.action)
    .filter((r) => f.requestId === undefined || r.requestId === f.requestId)
    .filter((r) => f.grantId === undefined || r.grantId === f.grantId)
    .filter((r) => f.scope === undefined || (r.scope !== undefined && isWithinScope(r.scope, f.scope)))
    .filter((r) => f.from === undefined || r.at >= new Date(f.from).toISOString())
    .filter((r) => f.to === undefined || r.at < new Date(f.to).toISOString())
    .sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

async function allPages(filter: AuditQueryFilter): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let continuationToken: string | undefined;
  let pages = 0;
  do {
    const page = await ledger.query({ ...filter, ...(continuationToken ? { continuationToken } : {}) });
    pages += 1;
    expect(page.items.length).toBeLessThanOrEqual(Number(filter.limit ?? 50));
    ids.push(...page.items.map((r) => r.id));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return { ids, pages };
}

const T = (minutes: number) => new Date(Date.parse('2025-04-01T08:00:00.000Z') + minutes * 60_000).toISOString();

test.each<[string, AuditQueryFilter]>([
  ['no filter', {}],
  ['principalId', { principalId: 'p1' }],
  ['action', { action: 'grant.created' }],
  ['requestId', { requestId: 'r3' }],
  ['grantId', { grantId: 'g2' }],
  ['scope: a resource group and what is under it', { scope: `${SUB}/resourceGroups/rg-weights` }],
  ['scope in another letter case, with a trailing slash', { scope: `${SUB.toUpperCase()}/RESOURCEGROUPS/Rg-Weights/` }],
  ['scope: the sibling with a longer name', { scope: `${SUB}/resourceGroups/rg-weights2` }],
  ['scope: a resource', { scope: `${SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights` }],
  ['scope: the subscription', { scope: SUB }],
  ['scope: root', { scope: '/' }],
  ['from', { from: T(0.5) }],
  ['to', { to: T(0.25) }],
  ['principal + action', { principalId: 'p0', action: 'request.created' }],
  ['principal + scope + time window', { principalId: 'p2', scope: `${SUB}/resourceGroups/rg-weights`, from: T(0.1), to: T(0.6) }],
  ['request + grant', { requestId: 'r0', grantId: 'g0' }],
  ['nothing matches', { principalId: 'nobody' }],
])('%s: exactly the matching records, newest first', async (name, filter) => {
  if (name !== 'nothing matches') expect(oracle(filter).length).toBeGreaterThan(0);
  const page = await ledger.query({ ...filter, limit: 500 });
  expect(page.items.map((r) => r.id)).toEqual(oracle(filter));
  expect(page.continuationToken).toBeUndefined();
});

test('scope prefix does not confuse rg-weights with rg-weights2', async () => {
  const weights = await ledger.query({ scope: `${SUB}/resourceGroups/rg-weights`, limit: 500 });
  expect(weights.items.length).toBeGreaterThan(0);
  expect(weights.items.every((r) => !r.scopeKey!.includes('rg-weights2'))).toBe(true);
  const weights2 = await ledger.query({ scope: `${SUB}/resourceGroups/rg-weights2`, limit: 500 });
  expect(weights2.items.length).toBeGreaterThan(0);
  expect(weights2.items.every((r) => r.scopeKey === `${SUB}/resourcegroups/rg-weights2`.toLowerCase())).toBe(true);
});

test.each<[string, AuditQueryFilter]>([
  ['no filter, pages of 7', { limit: 7 }],
  ['principal, pages of 4', { principalId: 'p3', limit: '4' }],
  ['scope, pages of 1', { scope: `${SUB}/resourceGroups/rg-weights`, limit: 1 }],
])('continuation across pages (%s) returns every record once, in order', async (_name, filter) => {
  const expected = oracle(filter);
  const { ids, pages } = await allPages(filter);
  expect(ids).toEqual(expected);
  expect(pages).toBe(Math.max(1, Math.ceil(expected.length / Number(filter.limit))));
});

test('the default page is 50 records', async () => {
  const page = await ledger.query({});
  expect(page.items).toHaveLength(50);
  expect(page.continuationToken).toBeDefined();
});

test('a bad token or filter is a ValidationError', async () => {
  await expect(ledger.query({ continuationToken: 'bogus!' })).rejects.toThrow(ValidationError);
  await expect(ledger.query({ continuationToken: Buffer.from('{"v":1}').toString('base64url') })).rejects.toThrow(/not one this API issued/);
  await expect(ledger.query({ limit: 1000 })).rejects.toThrow(/limit must be at most 500/);
});
