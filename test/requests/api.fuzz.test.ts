/**
 * Bad input, property-based (fast-check), against every route of the request, grant and audit
 * API (API.md), through the registration table in-process (the functions' own decoding, identity
 * and error mapping; repositories, ledger and ARM are fakes typed by the ports): random JSON
 * bodies, random ids, random query strings, malformed Easy Auth headers. Whatever arrives: never
 * a 5xx, every 4xx in the `{"error":{"code","message"}}` shape, and no write - requests, grants,
 * coverage, audit records and role assignments are the same before and after. Inputs are invalid
 * by construction (a valid request could legitimately write), except on read-only routes, where
 * any input is fair. The same routes over HTTP against the real store: test/e2e/requests.flow.test.ts.
 */
import fc from 'fast-check';
import { checkDuration } from '../../shared/domain/policy/duration';
import { findBuiltInRole } from '../../shared/domain/roles';
import { principalHeaders, PRINCIPAL_HEADERS } from '../../shared/domain/caller';
import { RG } from '../../dev/tenant';
import { USERS, type Page, type RequestDto, type TestUser } from '../e2e/helpers';
import { startWorld, type CallAnswer, type World } from '../fakes/world';

type ApiResponse<T = unknown> = CallAnswer<T>;

const RUNS = 120;
let world: World;
/** A pending request of alice (rg-weights reader), an active grant of dave and the request behind it. */
let pendingId: string;
let grantId: string;
let grantRequestId: string;

/** The API as a caller with these headers reaches it. */
function client(headers: Record<string, string>) {
  return {
    get: <T = unknown>(path: string) => world.call<T>('GET', path, { headers }),
    post: <T = unknown>(path: string, body?: unknown) => world.call<T>('POST', path, { headers, ...(body !== undefined ? { body } : {}) }),
  };
}
const as = (user: TestUser) => client(principalHeaders(user));

beforeAll(async () => {
  world = await startWorld();
  const pending = await as(USERS.alice).post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'fuzz target' });
  expect(pending.status).toBe(201);
  pendingId = pending.body.id;
  const toGrant = await as(USERS.dave).post<RequestDto>('/api/requests', { scope: RG.research, role: 'Storage Blob Data Contributor', duration: 'PT4H', justification: 'fuzz grant' });
  expect(toGrant.status).toBe(201);
  grantRequestId = toGrant.body.id;
  const approved = await as(USERS.bob).post<RequestDto>(`/api/requests/${grantRequestId}/approve`);
  expect(approved.body.status).toBe('approved');
  grantId = approved.body.grantId!;
});

// ---------------------------------------------------------------------------------------------
// Invariants

/** Everything a refused call must leave as it was. */
async function footprint(): Promise<unknown> {
  return {
    writes: world.writes(),
    requests: JSON.stringify([...world.requests.docs]),
    grants: JSON.stringify([...world.grants.docs]),
    coverage: JSON.stringify([...world.grants.coverage]),
    audit: world.audit.records.length,
    assignments: [...world.sim.assignments.keys()].sort(),
  };
}

/** Answers seen per status and code, per test: shown with FUZZ_DEBUG=1 to see what the generators reach. */
const seen = new Map<string, number>();
afterEach(() => {
  if (process.env.FUZZ_DEBUG) console.log(expect.getState().currentTestName, Object.fromEntries([...seen].sort()));
  seen.clear();
});

function expectWellFormed(res: ApiResponse, context: unknown): void {
  const key = `${res.status} ${res.body?.error?.code ?? ''}`.trim();
  seen.set(key, (seen.get(key) ?? 0) + 1);
  if (res.status >= 500) throw new Error(`5xx (${res.status}) for ${JSON.stringify(context)}: ${JSON.stringify(res.body)}`);
  if (res.status >= 400) {
    const error = res.body?.error;
    const ok = typeof error === 'object' && error !== null && /^[A-Z][A-Za-z0-9]*$/.test(error.code) && typeof error.message === 'string' && error.message.length > 0;
    if (!ok) throw new Error(`4xx without the error shape for ${JSON.stringify(context)}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

function expectRefused(res: ApiResponse, context: unknown): void {
  expectWellFormed(res, context);
  if (res.status < 400) throw new Error(`accepted (${res.status}) ${JSON.stringify(context)}: ${JSON.stringify(res.body)}`);
}

/** Runs a property and checks that it wrote nothing. */
async function noWrite<Ts>(property: fc.IAsyncProperty<Ts>, numRuns = RUNS): Promise<void> {
  const before = await footprint();
  await fc.assert(property, { numRuns });
  expect(await footprint()).toEqual(before);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Header values the HTTP client can send at all: printable ASCII. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

const validCaller: fc.Arbitrary<TestUser> = fc.oneof(
  fc.constantFrom<TestUser>(USERS.alice, USERS.bob, USERS.carol, USERS.erin, USERS.dave, USERS.mallory),
  // Strangers with a well-formed identity the tenant does not know.
  fc.record({ id: fc.uuid(), name: fc.emailAddress() }),
);

/** Random ids for path segments, plus the real ones (the interesting case: real target, bad input). */
const anyId = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.uuid(),
    fc.constantFrom(pendingId, grantId, grantRequestId, 'null', 'undefined', '0', '-', '%', '..', ' ', "'; DROP", 'a'.repeat(101), '00000000-0000-0000-0000-000000000000'),
  );

/**
 * Path segment: encoded, never empty and never a dot segment (URL parsing would drop or climb
 * it, `%2E` included, and the call would reach another route).
 */
const seg = (id: string) => (id.length === 0 ? '%20' : /^\.{1,2}$/.test(id) ? '...' : encodeURIComponent(id));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A body as sent on the wire: JSON text of a value, or raw text that is not JSON. */
type Wire = string;

const nonObjectJson: fc.Arbitrary<Wire> = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 4 })).map((v) => JSON.stringify(v));
const notJson: fc.Arbitrary<Wire> = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim().length > 0 && !parses(s).ok);

/** An object with at least one key outside `allowed` (every body schema is strict), plus possibly good fields. */
const withUnknownKey = (allowed: string[], good: Record<string, unknown> = {}): fc.Arbitrary<Wire> =>
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !allowed.includes(k) && k !== '__proto__'), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 })
    .map((extra) => JSON.stringify({ ...good, ...extra }));

/** Values that are not strings, for a field that must be one. */
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }));

const tooLong = (max: number) => fc.integer({ min: max + 1, max: max + 50 }).map((n) => 'x'.repeat(n));

/** Any JSON text that is not an object containing all of `required` (so a strict schema needing them refuses it). */
const jsonMissing = (required: string[]): fc.Arbitrary<Wire> =>
  fc.jsonValue({ maxDepth: 3 }).filter((v) => !(isPlainObject(v) && required.every((k) => k in v))).map((v) => JSON.stringify(v) ?? 'null');

// ---------------------------------------------------------------------------------------------
// createRequest

const badScope = fc.oneof(
  headerText.filter((s) => !/^\s*\/subscriptions\/[0-9a-f-]{36}/i.test(s)),
  fc.constantFrom('/subscriptions/not-a-guid/resourceGroups/rg-weights', '/', '//', '/subscriptions/', 'rg-weights'),
  // A subscription no policy governs.
  fc.uuid().map((u) => `/subscriptions/${u}/resourceGroups/rg-weights`),
);
const badRole = fc.string({ maxLength: 60 }).filter((s) => s.trim().length > 0 && !findBuiltInRole(s));
const badDuration = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => s.trim().length > 0 && !checkDuration(s).ok),
  fc.constantFrom('PT0S', 'P0D', 'P30D', 'P1Y', 'PT9999H', '-PT1H', 'PT1.5.5H', 'P1W2D', '8h'),
);
const goodScope = fc.constantFrom(RG.weights, RG.research, RG.sandbox);
const goodRole = fc.constantFrom('Storage Blob Data Reader', 'Storage Blob Data Contributor', 'Key Vault Secrets User', 'Reader');
const goodDuration = fc.constantFrom('PT1H', 'PT30M');

/** Well-shaped bodies with at least one field that no policy can accept. */
const semanticallyBadCreate: fc.Arbitrary<Wire> = fc
  .record({
    scope: fc.oneof(badScope, goodScope),
    role: fc.oneof(badRole, goodRole),
    duration: fc.oneof(badDuration, goodDuration),
    justification: fc.string({ maxLength: 40 }),
    bad: fc.constantFrom('scope', 'role', 'duration'),
  })
  .chain((r) =>
    (r.bad === 'scope' ? badScope : r.bad === 'role' ? badRole : badDuration).map((badValue) => JSON.stringify({ scope: r.scope, role: r.role, duration: r.duration, justification: r.justification, [r.bad]: badValue })),
  );

const createFields = ['scope', 'role', 'duration', 'justification', 'principalId'];
const validCreate = { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'valid' };

const badCreateBody: fc.Arbitrary<Wire> = fc.oneof(
  nonObjectJson,
  notJson,
  jsonMissing(['scope', 'role', 'duration']),
  withUnknownKey(createFields, validCreate),
  fc.constantFrom('scope', 'role', 'duration', 'justification', 'principalId').chain((field) => notAString.map((v) => JSON.stringify({ ...validCreate, [field]: v }))),
  fc.constantFrom<[string, number]>(['scope', 1000], ['role', 300], ['duration', 50], ['justification', 2000]).chain(([field, max]) => tooLong(max).map((v) => JSON.stringify({ ...validCreate, [field]: v }))),
  headerText.filter((s) => !/^[0-9a-f-]{36}$/i.test(s)).map((p) => JSON.stringify({ ...validCreate, principalId: p })),
  semanticallyBadCreate,
  fc.constant(''),
  fc.constant('   '),
);

describe('bad input never makes a 5xx, always has the error shape, and writes nothing', () => {
  it('createRequest: random and invalid bodies', async () => {
    await noWrite(
      fc.asyncProperty(validCaller, badCreateBody, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'), async (caller, body, contentType) => {
        const res = await client({ ...principalHeaders(caller), 'content-type': contentType }).post('/api/requests', body);
        expectRefused(res, { caller: caller.name, body, contentType });
      }),
      200,
    );
  });

  // -------------------------------------------------------------------------------------------
  // Read-only routes: any input is fair; valid queries may answer 200.

  const queryValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('true', 'false', 'me', 'pending', 'approved', 'active', '0', '1', '200', '201', '-1', '1e3', '', '{}', '[]', 'null', '{"token":"x"}'));
  const queryString = (keys: string[]) =>
    fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ minLength: 1, maxLength: 10 })), queryValue, { maxKeys: 4 }).map((q) => new URLSearchParams(q).toString());

  function expectListPage(res: ApiResponse<Partial<Page<unknown>>>, context: unknown): void {
    expectWellFormed(res, context);
    if (res.status === 200 && !(Array.isArray(res.body?.items) && 'continuationToken' in res.body)) throw new Error(`bad page for ${JSON.stringify(context)}: ${JSON.stringify(res.body)}`);
  }

  it('listRequests: random query strings', async () => {
    await noWrite(
      fc.asyncProperty(validCaller, queryString(['status', 'mine', 'approver', 'limit', 'continuationToken']), async (caller, query) => {
        const res = await as(caller).get<Partial<Page<unknown>>>(`/api/requests?${query}`);
        expectListPage(res, { caller: caller.name, query });
      }),
    );
  });

  it('getRequest: random ids', async () => {
    await noWrite(
      fc.asyncProperty(validCaller, anyId(), async (caller, id) => {
        const res = await as(caller).get<RequestDto>(`/api/requests/${seg(id)}`);
        expectWellFormed(res, { caller: caller.name, id });
        if (res.status === 200 && res.body.id !== id) throw new Error(`asked ${id}, got ${res.body.id}`);
      }),
    );
  });

  it('listGrants: random query strings', async () => {
    await noWrite(
      fc.asyncProperty(validCaller, queryString(['principalId', 'scope', 'status', 'limit', 'continuationToken']), async (caller, query) => {
        const res = await as(caller).get<Partial<Page<unknown>>>(`/api/grants?${query}`);
        expectListPage(res, { caller: caller.name, query });
      }),
    );
  });

  it('queryAudit: random filters (as the admin, and refused to others)', async () => {
    const auditKeys = ['principalId', 'scope', 'action', 'requestId', 'from', 'to', 'limit', 'continuationToken', 'grantId'];
    const filterValue = fc.oneof(queryValue, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom(pendingId, grantId, 'request.created', 'grant.created', USERS.alice.id, RG.weights));
    const filter = fc.dictionary(fc.oneof(fc.constantFrom(...auditKeys), fc.string({ minLength: 1, maxLength: 10 })), filterValue, { maxKeys: 4 }).map((q) => new URLSearchParams(q).toString());
    await noWrite(
      fc.asyncProperty(fc.oneof(fc.constant<TestUser>(USERS.erin), validCaller), filter, async (caller, query) => {
        const res = await as(caller).get<Partial<Page<unknown>>>(`/api/audit?${query}`);
        expectListPage(res, { caller: caller.name, query });
        if (caller.id !== USERS.erin.id && res.status !== 403) throw new Error(`audit answered ${res.status} to ${caller.name}`);
      }),
    );
  });

  it('verifyAudit: random query strings and callers', async () => {
    await noWrite(
      fc.asyncProperty(fc.oneof(fc.constant<TestUser>(USERS.erin), validCaller), queryString(['full', 'chain']), async (caller, query) => {
        const res = await as(caller).get<{ ok: boolean }>(`/api/audit/verify?${query}`);
        expectWellFormed(res, { caller: caller.name, query });
        if (res.status === 200 && res.body.ok !== true) throw new Error(`verify found a problem: ${JSON.stringify(res.body)}`);
      }),
      30,
    );
  });

  // -------------------------------------------------------------------------------------------
  // Decisions on requests: invalid bodies (also on the real pending request), or valid bodies
  // that the caller may not send (a stranger, the requester, an unknown id).

  const approveBody: fc.Arbitrary<Wire> = fc.oneof(
    nonObjectJson,
    notJson,
    withUnknownKey(['comment'], { comment: 'ok' }),
    notAString.map((v) => JSON.stringify({ comment: v })),
    tooLong(2000).map((c) => JSON.stringify({ comment: c })),
  );
  const denyBody: fc.Arbitrary<Wire> = fc.oneof(
    nonObjectJson,
    notJson,
    fc.constant(''),
    fc.constant('{}'),
    withUnknownKey(['reason'], { reason: 'no' }),
    notAString.map((v) => JSON.stringify({ reason: v })),
    fc.constantFrom('', ' ', '\n\t ').map((r) => JSON.stringify({ reason: r })),
    tooLong(2000).map((r) => JSON.stringify({ reason: r })),
  );
  const cancelBody: fc.Arbitrary<Wire> = fc.oneof(nonObjectJson, notJson, withUnknownKey([]));

  /** A valid body sent where it must be refused: an id that is not a pending request, or a caller who may not decide. */
  const refusedDecision = (validBody: Wire, forbidden: TestUser[]) =>
    fc.oneof(
      fc.tuple(validCaller, anyId().filter((id) => id !== pendingId), fc.constant(validBody)),
      fc.tuple(fc.oneof(fc.constantFrom(...forbidden), fc.record({ id: fc.uuid(), name: fc.emailAddress() })), fc.constant(pendingId), fc.constant(validBody)),
    );

  const decisionRoute = (action: string, badBody: fc.Arbitrary<Wire>, refused: fc.Arbitrary<[TestUser, string, Wire]>) =>
    noWrite(
      fc.asyncProperty(fc.oneof(fc.tuple(validCaller, fc.oneof(fc.constant(pendingId), anyId()), badBody), refused), async ([caller, id, body]) => {
        const res = await as(caller).post(`/api/requests/${seg(id)}/${action}`, body);
        expectRefused(res, { caller: caller.name, id, body });
      }),
    );

  it('approveRequest: invalid bodies, unknown ids, callers who may not approve', async () => {
    // alice asked (self-approval), mallory and dave are no approvers.
    await decisionRoute('approve', approveBody, refusedDecision('{"comment":"fine"}', [USERS.alice, USERS.mallory, USERS.dave]));
  });

  it('denyRequest: invalid bodies, unknown ids, callers who may not deny', async () => {
    await decisionRoute('deny', denyBody, refusedDecision('{"reason":"no"}', [USERS.alice, USERS.mallory, USERS.dave]));
  });

  it('cancelRequest: invalid bodies, unknown ids, callers who did not ask', async () => {
    await decisionRoute('cancel', cancelBody, refusedDecision('{}', [USERS.bob, USERS.erin, USERS.mallory]));
  });

  // -------------------------------------------------------------------------------------------
  // Grants: invalid bodies on the real grant, or valid bodies from callers who may not act.

  const revokeBody: fc.Arbitrary<Wire> = fc.oneof(
    nonObjectJson,
    notJson,
    fc.constant(''),
    fc.constant('{}'),
    withUnknownKey(['reason'], { reason: 'done' }),
    notAString.map((v) => JSON.stringify({ reason: v })),
    fc.constantFrom('', '   ').map((r) => JSON.stringify({ reason: r })),
    tooLong(2000).map((r) => JSON.stringify({ reason: r })),
  );
  const renewBody: fc.Arbitrary<Wire> = fc.oneof(
    nonObjectJson,
    notJson,
    fc.constant(''),
    jsonMissing(['duration']),
    withUnknownKey(['duration', 'justification'], { duration: 'PT1H', justification: 'more' }),
    notAString.map((v) => JSON.stringify({ duration: v, justification: 'more' })),
    notAString.map((v) => JSON.stringify({ duration: 'PT1H', justification: v })),
    badDuration.map((d) => JSON.stringify({ duration: d, justification: 'more' })),
    tooLong(2000).map((j) => JSON.stringify({ duration: 'PT1H', justification: j })),
  );

  const refusedGrantAction = (validBody: Wire, forbidden: TestUser[]) =>
    fc.oneof(
      fc.tuple(validCaller, anyId().filter((id) => id !== grantId), fc.constant(validBody)),
      fc.tuple(fc.oneof(fc.constantFrom(...forbidden), fc.record({ id: fc.uuid(), name: fc.emailAddress() })), fc.constant(grantId), fc.constant(validBody)),
    );

  const grantRoute = (action: string, badBody: fc.Arbitrary<Wire>, refused: fc.Arbitrary<[TestUser, string, Wire]>) =>
    noWrite(
      fc.asyncProperty(fc.oneof(fc.tuple(fc.oneof(fc.constant<TestUser>(USERS.dave), validCaller), fc.oneof(fc.constant(grantId), anyId()), badBody), refused), async ([caller, id, body]) => {
        const res = await as(caller).post(`/api/grants/${seg(id)}/${action}`, body);
        expectRefused(res, { caller: caller.name, id, body });
      }),
    );

  it('revokeGrant: invalid bodies, unknown ids, callers who do not hold the grant', async () => {
    await grantRoute('revoke', revokeBody, refusedGrantAction('{"reason":"done"}', [USERS.alice, USERS.bob, USERS.mallory]));
  });

  it('renewGrant: invalid bodies, unknown ids, callers who do not hold the grant (the admin included)', async () => {
    await grantRoute('renew', renewBody, refusedGrantAction('{"duration":"PT1H","justification":"more"}', [USERS.alice, USERS.bob, USERS.mallory, USERS.erin]));
  });

  // -------------------------------------------------------------------------------------------
  // Identity

  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
  /** Whether `text` would decode to a principal object (then it is not malformed by construction). */
  const decodesToObject = (text: string) => {
    try {
      return isPlainObject(JSON.parse(Buffer.from(text.trim(), 'base64').toString('utf8')));
    } catch {
      return false;
    }
  };

  /** Easy Auth headers broken in one way each: every one must read as "no identity". */
  const malformedIdentity: fc.Arbitrary<Record<string, string>> = fc.tuple(validCaller, fc.nat(8), headerText, fc.jsonValue({ maxDepth: 2 }), fc.uuid()).map(([user, how, text, json, otherId]) => {
    const h = principalHeaders(user);
    switch (how) {
      case 0:
        delete h[PRINCIPAL_HEADERS.id];
        break;
      case 1:
        h[PRINCIPAL_HEADERS.id] = GUID.test(text.trim()) ? `${text}x` : text;
        break;
      case 2:
        delete h[PRINCIPAL_HEADERS.name];
        break;
      case 3:
        h[PRINCIPAL_HEADERS.name] = ' '.repeat(text.length % 3);
        break;
      case 4:
        delete h[PRINCIPAL_HEADERS.principal];
        break;
      case 5:
        h[PRINCIPAL_HEADERS.principal] = decodesToObject(text) ? `!${text}` : text || '!';
        break;
      case 6:
        h[PRINCIPAL_HEADERS.principal] = isPlainObject(json) ? b64([json]) : b64(json);
        break;
      case 7:
        // The object id claim contradicts the id header: forged.
        h[PRINCIPAL_HEADERS.principal] = b64({ auth_typ: 'aad', claims: [{ typ: 'oid', val: otherId === user.id ? USERS.mallory.id : otherId }, { typ: 'roles', val: 'AccessManager.Admin' }] });
        break;
      default:
        return {};
    }
    return h;
  });

  const everyRoute = (id: string): Array<[string, string, Wire | undefined]> => [
    ['POST', '/api/requests', JSON.stringify(validCreate)],
    ['GET', '/api/requests', undefined],
    ['GET', `/api/requests/${id}`, undefined],
    ['POST', `/api/requests/${id}/approve`, '{}'],
    ['POST', `/api/requests/${id}/deny`, '{"reason":"no"}'],
    ['POST', `/api/requests/${id}/cancel`, undefined],
    ['GET', '/api/grants', undefined],
    ['POST', `/api/grants/${grantId}/revoke`, '{"reason":"done"}'],
    ['POST', `/api/grants/${grantId}/renew`, '{"duration":"PT1H","justification":"more"}'],
    ['GET', '/api/audit', undefined],
    ['GET', '/api/audit/verify', undefined],
  ];

  it('malformed Easy Auth headers: 401 on every route, even with a valid body', async () => {
    await noWrite(
      fc.asyncProperty(malformedIdentity, fc.nat(10), async (headers, routeIndex) => {
        const [method, path, body] = everyRoute(pendingId)[routeIndex]!;
        const c = client(headers);
        const res = method === 'GET' ? await c.get(path) : await c.post(path, body);
        expectWellFormed(res, { headers, method, path });
        if (res.status !== 401) throw new Error(`${method} ${path} answered ${res.status} to ${JSON.stringify(headers)}`);
      }),
      200,
    );
  });
});
