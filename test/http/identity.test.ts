/** Easy Auth headers -> Caller, checked against how @azure/functions itself reads them, and defensively against garbage. */
import { HttpRequest } from '@azure/functions';
import fc from 'fast-check';
import { UnauthenticatedError } from '../../shared/domain/errors';
import { ADMIN_ROLE, callerFromRequest, principalHeaders, requireCaller } from '../../shared/domain/caller';

const ALICE = '00000000-0000-4000-8000-000000000011';
const ERIN = '00000000-0000-4000-8000-000000000014';

const requestWith = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://localhost/api/requests', headers });
const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

/** The headers App Service authentication sends for an Entra user (API.md). */
function easyAuth(id: string, name: string, claims: { typ: string; val: string }[], extra: Record<string, unknown> = {}) {
  return {
    'x-ms-client-principal-id': id,
    'x-ms-client-principal-name': name,
    'x-ms-client-principal-idp': 'aad',
    'x-ms-client-principal': encode({ auth_typ: 'aad', claims, name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', role_typ: 'roles', ...extra }),
  };
}

describe('callerFromRequest', () => {
  test('an admin: id, UPN, roles from the roles claims; request.user agrees', () => {
    const request = requestWith(
      easyAuth(ERIN, 'erin@contoso.test', [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ERIN },
        { typ: 'roles', val: ADMIN_ROLE },
        { typ: 'roles', val: 'Auditor' },
        { typ: 'groups', val: '00000000-0000-4000-8000-000000000022' },
      ]),
    );
    expect(callerFromRequest(request)).toEqual({ id: ERIN, name: 'erin@contoso.test', roles: [ADMIN_ROLE, 'Auditor'], isAdmin: true });
    expect(request.user).toMatchObject({ type: 'AppService', id: ERIN, username: 'erin@contoso.test', identityProvider: 'aad' });
  });

  test('a researcher without roles', () => {
    expect(callerFromRequest(requestWith(easyAuth(ALICE, 'alice@contoso.test', [])))).toEqual({ id: ALICE, name: 'alice@contoso.test', roles: [], isAdmin: false });
  });

  test('roles under the long claim type, or a custom role_typ, count; duplicates collapse', () => {
    const request = requestWith(
      easyAuth(ALICE, 'alice@contoso.test', [
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: ADMIN_ROLE },
        { typ: 'appRole', val: 'Custom' },
        { typ: 'roles', val: ADMIN_ROLE },
      ], { role_typ: 'appRole' }),
    );
    expect(callerFromRequest(request)?.roles).toEqual([ADMIN_ROLE, 'Custom']);
  });

  test('the id is normalised to lower case', () => {
    expect(callerFromRequest(requestWith(easyAuth(ALICE.toUpperCase(), 'alice@contoso.test', [])))?.id).toBe(ALICE);
  });

  test('principalHeaders builds headers that both readers accept', () => {
    const request = requestWith(principalHeaders({ id: ERIN, name: 'erin@contoso.test', roles: [ADMIN_ROLE] }));
    expect(callerFromRequest(request)?.isAdmin).toBe(true);
    expect(request.user?.id).toBe(ERIN);
  });

  const base = easyAuth(ALICE, 'alice@contoso.test', [{ typ: 'roles', val: ADMIN_ROLE }]);
  test.each([
    ['no headers at all', {}],
    ['no principal header', { ...base, 'x-ms-client-principal': '' }],
    ['an id that is not a GUID', { ...base, 'x-ms-client-principal-id': 'alice' }],
    ['no id header', { ...base, 'x-ms-client-principal-id': '' }],
    ['no name header', { ...base, 'x-ms-client-principal-name': ' ' }],
    ['a principal that is not base64', { ...base, 'x-ms-client-principal': '%%%' }],
    ['a principal that is not JSON', { ...base, 'x-ms-client-principal': encode('{not json') }],
    ['a principal that is a JSON array', { ...base, 'x-ms-client-principal': encode([1]) }],
    ['a principal that is JSON null', { ...base, 'x-ms-client-principal': encode('null') }],
    ['an object id claim that contradicts the id header', easyAuth(ALICE, 'alice@contoso.test', [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ERIN }, { typ: 'roles', val: ADMIN_ROLE }])],
    // Only the first of several object id claims used to be checked: a second one rode along.
    ['two object id claims, the first matching', easyAuth(ALICE, 'alice@contoso.test', [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ALICE }, { typ: 'oid', val: ERIN }])],
    ['two object id claims, the second matching', easyAuth(ALICE, 'alice@contoso.test', [{ typ: 'oid', val: ERIN }, { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ALICE }])],
    ['the same object id claim twice', easyAuth(ALICE, 'alice@contoso.test', [{ typ: 'oid', val: ALICE }, { typ: 'oid', val: ALICE }])],
  ])('%s -> no identity, and requireCaller throws UnauthenticatedError', (_label, headers) => {
    const request = requestWith(headers as Record<string, string>);
    expect(callerFromRequest(request)).toBeUndefined();
    expect(() => requireCaller(request)).toThrow(UnauthenticatedError);
  });

  test('malformed claims entries are skipped, not fatal', () => {
    const headers = {
      ...base,
      'x-ms-client-principal': encode({ claims: [null, 3, { typ: 'roles' }, { typ: 'roles', val: 7 }, { typ: 'roles', val: 'Ok' }], role_typ: 5 }),
    };
    expect(callerFromRequest(requestWith(headers))).toEqual({ id: ALICE, name: 'alice@contoso.test', roles: ['Ok'], isAdmin: false });
  });

  test('requireCaller returns the caller when there is one', () => {
    expect(requireCaller(requestWith(base)).id).toBe(ALICE);
  });

  test('property: any header values either give a well-formed Caller or none, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(ALICE), fc.string()),
        fc.string(),
        fc.oneof(fc.string(), fc.base64String(), fc.jsonValue().map((v) => encode(JSON.stringify(v) ?? 'null'))),
        (id, name, principal) => {
          const headers = new Headers();
          try {
            headers.set('x-ms-client-principal-id', id);
            headers.set('x-ms-client-principal-name', name);
            headers.set('x-ms-client-principal', principal);
          } catch {
            return; // not a legal header value: it could never arrive
          }
          const caller = callerFromRequest({ headers } as HttpRequest);
          if (caller) {
            expect(caller.id).toMatch(/^[0-9a-f-]{36}$/);
            expect(caller.name.length).toBeGreaterThan(0);
            expect(caller.isAdmin).toBe(caller.roles.includes(ADMIN_ROLE));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
