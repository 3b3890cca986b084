/** decodeArmEvent: every fixture, every rule of the decoder, and hostile inputs (property-based). */
import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import { normalizeArmId } from '../../shared/domain/armIds';
import { decodeArmEvent, type ArmEvent } from '../../shared/domain/events/armEvent';
import { receivedEventFrom } from '../../shared/domain/events/envelope';
import { isSafeText } from '../../shared/domain/events/guards';
import { PEOPLE } from '../../dev/tenant';
import { delivered, rawWith, receivedFixture, withData, type EnvelopeEdits } from './fixtures';

const SUB = '00000000-0000-0000-0000-000000000001';
const RG_WEIGHTS = `/subscriptions/${SUB}/resourceGroups/rg-weights`;
const NAME = '5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24';
const ASSIGNMENT_ID = `${RG_WEIGHTS}/providers/Microsoft.Authorization/roleAssignments/${NAME}`;
const DAVE_CALLER = { objectId: PEOPLE.dave, upn: 'dave@contoso.test', appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', ipAddress: '203.0.113.7' };
/** Values only `data.authorization.evidence` carries in the fixtures: they must never come out. */
const EVIDENCE_ONLY = ['0b5e1d9c7a2f4e3b8c6d1a0f9e8d7c6b', '8e3af657a8ff443ca75c2fe8c4bcb635'];

function expectValidation(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect((thrown as ValidationError).message).toMatch(message);
  expect((thrown as ValidationError).code).toBe('InvalidEvent');
}

describe('fixtures', () => {
  test.each([
    [
      'role-assignment-write.eventgrid',
      {
        kind: 'roleAssignmentWrite',
        eventId: '7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a01',
        eventTime: '2026-11-20T10:02:03.123Z',
        assignmentId: ASSIGNMENT_ID,
        assignmentName: NAME,
        assignmentScope: RG_WEIGHTS,
        subscriptionId: SUB,
        caller: DAVE_CALLER,
        correlationId: 'c0ffee00-1234-4abc-8def-000000000001',
        status: 'Succeeded',
      },
    ],
    [
      'role-assignment-write.cloudevent',
      {
        kind: 'roleAssignmentWrite',
        eventId: '7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a03',
        eventTime: '2026-11-20T10:02:03.123Z',
        assignmentId: ASSIGNMENT_ID,
        assignmentName: NAME,
        assignmentScope: RG_WEIGHTS,
        subscriptionId: SUB,
        caller: DAVE_CALLER,
        correlationId: 'c0ffee00-1234-4abc-8def-000000000001',
        status: 'Succeeded',
      },
    ],
    [
      'role-assignment-delete.eventgrid',
      {
        kind: 'roleAssignmentDelete',
        eventId: '7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a02',
        eventTime: '2026-11-20T10:02:03.123Z',
        assignmentId: ASSIGNMENT_ID,
        assignmentName: NAME,
        assignmentScope: RG_WEIGHTS,
        subscriptionId: SUB,
        caller: DAVE_CALLER,
        correlationId: 'c0ffee00-1234-4abc-8def-000000000001',
        status: 'Succeeded',
      },
    ],
    [
      'storage-account-write.eventgrid',
      {
        kind: 'storageAccountWrite',
        eventId: '7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a04',
        eventTime: '2026-11-20T10:02:03.123Z',
        resourceId: `${RG_WEIGHTS}/providers/Microsoft.Storage/storageAccounts/stweights`,
        caller: DAVE_CALLER,
        operationName: 'Microsoft.Storage/storageAccounts/write',
        correlationId: 'c0ffee00-1234-4abc-8def-000000000001',
      },
    ],
  ] as const)('%s', (name, expected) => {
    const decoded = decodeArmEvent(receivedFixture(name));
    expect(decoded).toEqual(expected);
    // The caller's authorising assignment (evidence) never becomes the target.
    for (const marker of EVIDENCE_ONLY) expect(JSON.stringify(decoded)).not.toContain(marker);
  });

  test.each(['keyvault-secret-new-version.eventgrid', 'storage-blob-created.eventgrid', 'subscription-validation.eventgrid'] as const)(
    '%s is not an ARM event: ignored',
    (name) => {
      const decoded = decodeArmEvent(receivedFixture(name));
      expect(decoded).toMatchObject({ kind: 'ignored', eventId: receivedFixture(name).id });
      expect((decoded as { reason: string }).reason).toMatch(/is not an ARM resource write or delete/);
    },
  );
});

describe('event types and statuses', () => {
  const write = (edits: EnvelopeEdits) => delivered('role-assignment-write.eventgrid', edits);
  test.each([
    ['Microsoft.Resources.ResourceActionSuccess', /not an action guardrails watch/],
    ['Microsoft.Resources.ResourceWriteFailure', /did not succeed/],
    ['Microsoft.Resources.ResourceDeleteCancel', /did not succeed/],
    ['Microsoft.Storage.BlobCreated', /is not an ARM resource write or delete/],
  ])('%s is ignored', (type, reason) => {
    const decoded = decodeArmEvent(write({ type }));
    expect(decoded.kind).toBe('ignored');
    expect((decoded as { reason: string }).reason).toMatch(reason);
  });

  test('event types compare case-insensitively', () => {
    expect(decodeArmEvent(write({ type: 'MICROSOFT.RESOURCES.RESOURCEWRITESUCCESS' })).kind).toBe('roleAssignmentWrite');
  });

  test.each(['Failed', 'Canceled', 'Started'])('status %s is ignored', (status) => {
    const decoded = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.status = status)));
    expect(decoded).toMatchObject({ kind: 'ignored', reason: `status is '${status}', not Succeeded` });
  });

  test('status compares case-insensitively and a missing status counts as succeeded (the type says Success)', () => {
    expect(decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.status = 'succeeded'))).kind).toBe('roleAssignmentWrite');
    const missing = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => delete d.status));
    expect(missing).toMatchObject({ kind: 'roleAssignmentWrite', status: 'Succeeded' });
  });

  test('a CloudEvent without time decodes with eventTime undefined', () => {
    expect(decodeArmEvent(delivered('role-assignment-write.cloudevent', { time: undefined }))).toMatchObject({ kind: 'roleAssignmentWrite', eventTime: undefined });
  });
});

describe('letter case and id normalization', () => {
  test('operationName in another letter case', () => {
    const decoded = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.operationName = 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE')));
    expect(decoded.kind).toBe('roleAssignmentWrite');
  });

  test('subject and resourceUri in different case agree; the name comes out lower-case, the scope as sent', () => {
    const upper = ASSIGNMENT_ID.toUpperCase();
    const decoded = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.resourceUri = upper)));
    expect(decoded).toMatchObject({ kind: 'roleAssignmentWrite', assignmentName: NAME, subscriptionId: SUB, assignmentScope: RG_WEIGHTS.toUpperCase() });
  });

  test('doubled and trailing slashes are normalized', () => {
    const messy = `/${ASSIGNMENT_ID.replace('/resourceGroups/', '//resourceGroups/')}/`;
    const event = withData('role-assignment-write.eventgrid', (d) => (d.resourceUri = messy), { subject: messy });
    expect(decodeArmEvent(event)).toMatchObject({ assignmentId: ASSIGNMENT_ID });
  });

  test('missing resourceUri falls back to the subject', () => {
    const decoded = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => delete d.resourceUri));
    expect(decoded).toMatchObject({ kind: 'roleAssignmentWrite', assignmentId: ASSIGNMENT_ID });
  });

  test('resourceUri is used when the subject is empty', () => {
    const event = delivered('role-assignment-write.eventgrid', { subject: '' });
    expect(decodeArmEvent(event)).toMatchObject({ assignmentId: ASSIGNMENT_ID });
  });

  test('an assignment at a management group has no subscription; one at the tenant root has scope /', () => {
    const mg = `/providers/Microsoft.Management/managementGroups/mg-research/providers/Microsoft.Authorization/roleAssignments/${NAME}`;
    const atMg = decodeArmEvent(
      withData(
        'role-assignment-write.eventgrid',
        (d) => {
          d.resourceUri = mg;
          delete d.subscriptionId;
        },
        { subject: mg },
      ),
    );
    expect(atMg).toMatchObject({ assignmentScope: '/providers/Microsoft.Management/managementGroups/mg-research', subscriptionId: undefined });
    const root = `/providers/Microsoft.Authorization/roleAssignments/${NAME}`;
    const atRoot = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.resourceUri = root), { subject: root }));
    expect(atRoot).toMatchObject({ assignmentScope: '/', assignmentId: root, subscriptionId: SUB });
  });
});

describe('caller claims', () => {
  test('short claim names (oid, upn) and an IP from httpRequest', () => {
    const decoded = decodeArmEvent(
      withData('role-assignment-write.eventgrid', (d) => {
        d.claims = { oid: PEOPLE.mallory.toUpperCase(), upn: 'mallory@contoso.test', appid: 'not-a-guid' };
      }),
    );
    expect(decoded).toMatchObject({ caller: { objectId: PEOPLE.mallory, upn: 'mallory@contoso.test', ipAddress: '203.0.113.7' } });
    expect((decoded as { caller: object }).caller).not.toHaveProperty('appId');
  });

  test('name is the fallback for upn (service principals have no upn)', () => {
    const decoded = decodeArmEvent(withData('role-assignment-write.eventgrid', (d) => (d.claims = { name: 'pipeline-sp', oid: PEOPLE.accessManager })));
    expect(decoded).toMatchObject({ caller: { objectId: PEOPLE.accessManager, upn: 'pipeline-sp' } });
  });

  test.each([
    ['claims missing', undefined],
    ['claims a string', 'oops'],
    ['claims an array', [1, 2]],
    ['claims with hostile values', { oid: 'x\u0000y', upn: 5, ipaddr: 'not-an-ip', name: 'a\u202eb' }],
  ])('%s: the caller is empty rather than the event failing', (_label, claims) => {
    const decoded = decodeArmEvent(
      withData('role-assignment-write.eventgrid', (d) => {
        d.claims = claims;
        delete d.httpRequest;
      }),
    );
    expect(decoded).toMatchObject({ kind: 'roleAssignmentWrite', caller: {} });
  });
});

describe('other resources', () => {
  test.each([
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.KeyVault/vaults/write', '/providers/Microsoft.KeyVault/vaults/kv-research', 'keyVaultWrite'],
    ['Microsoft.Resources.ResourceWriteSuccess', 'microsoft.keyvault/vaults/accessPolicies/write', '/providers/Microsoft.KeyVault/vaults/kv-research/accessPolicies/add', 'keyVaultWrite'],
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Storage/storageAccounts/blobServices/containers/write', '/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints', 'storageAccountWrite'],
    ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Compute/virtualMachines/write', '/providers/Microsoft.Compute/virtualMachines/vm1', 'otherWrite'],
    ['Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Storage/storageAccounts/delete', '/providers/Microsoft.Storage/storageAccounts/stweights', 'otherDelete'],
  ])('%s %s -> %s', (type, operationName, suffix, kind) => {
    const resourceUri = `${RG_WEIGHTS}${suffix}`;
    const event = withData(
      'storage-account-write.eventgrid',
      (d) => {
        d.operationName = operationName;
        d.resourceUri = resourceUri;
      },
      { subject: resourceUri, type },
    );
    expect(decodeArmEvent(event)).toMatchObject({ kind, resourceId: resourceUri, operationName });
  });
});

describe('malformed and hostile data is a ValidationError naming the problem', () => {
  const long = `${RG_WEIGHTS}/providers/Microsoft.Authorization/roleAssignments/${NAME}`.padEnd(2049, 'a');
  // Envelope fields go through the envelope parser, as production delivers them: it is the one
  // place that refuses hostile ids, types, subjects, topics and times for every decoder.
  test.each<[string, (d: Record<string, unknown>) => void, EnvelopeEdits, RegExp]>([
    ['operationName missing', (d) => delete d.operationName, {}, /data\.operationName is required/],
    ['operationName a number', (d) => (d.operationName = 5), {}, /data\.operationName must be a string, not number 5/],
    ['operationName empty', (d) => (d.operationName = '  '), {}, /data\.operationName must not be empty/],
    ['resourceUri and subject missing', (d) => delete d.resourceUri, { subject: '' }, /data\.resourceUri is missing and the event has no subject/],
    ['resourceUri an object', (d) => (d.resourceUri = { id: ASSIGNMENT_ID }), {}, /data\.resourceUri must be a string, not an object/],
    ['resourceUri a URL', (d) => (d.resourceUri = 'https://management.azure.com' + ASSIGNMENT_ID), {}, /is not an ARM resource id/],
    ['resourceUri relative', (d) => (d.resourceUri = ASSIGNMENT_ID.slice(1)), {}, /is not an ARM resource id/],
    ['subscription not a GUID', (d) => (d.resourceUri = ASSIGNMENT_ID.replace(SUB, 'my-sub')), {}, /is not an ARM resource id/],
    ['dot segments', (d) => (d.resourceUri = `${RG_WEIGHTS}/../rg-other/providers/Microsoft.Authorization/roleAssignments/${NAME}`), {}, /is not an ARM resource id/],
    ['query string', (d) => (d.resourceUri = `${ASSIGNMENT_ID}?api-version=1`), {}, /is not an ARM resource id/],
    ['providers without type/name', (d) => (d.resourceUri = `${RG_WEIGHTS}/providers/Microsoft.Authorization`), {}, /is not an ARM resource id/],
    ['subject and resourceUri disagree', (d) => (d.resourceUri = ASSIGNMENT_ID.replace('rg-weights', 'rg-weights2')), {}, /name different resources/],
    ['assignment name not a GUID', (d) => (d.resourceUri = ASSIGNMENT_ID.replace(NAME, 'evil')), { subject: '' }, /role assignment name 'evil' is not a GUID/],
    ['resourceUri longer than 2048', (d) => (d.resourceUri = long), {}, /data\.resourceUri must be at most 2048 characters/],
    ['resourceUri with a NUL', (d) => (d.resourceUri = ASSIGNMENT_ID + '\u0000'), {}, /control or invisible formatting characters/],
    ['resourceUri with a newline', (d) => (d.resourceUri = ASSIGNMENT_ID.replace('rg-weights', 'rg-\nweights')), {}, /control or invisible/],
    ['resourceUri with a bidi override', (d) => (d.resourceUri = ASSIGNMENT_ID.replace('rg-weights', 'rg-\u202eweights')), {}, /control or invisible/],
    ['write event with a delete operation', (d) => (d.operationName = 'Microsoft.Authorization/roleAssignments/delete'), {}, /does not match a Microsoft\.Resources\.ResourceWriteSuccess of role assignment/],
    ['role assignment operation on a storage account', (d) => (d.resourceUri = `${RG_WEIGHTS}/providers/Microsoft.Storage/storageAccounts/st`), { subject: '' }, /is not a role assignment id/],
    ['other operation on a role assignment', (d) => (d.operationName = 'Microsoft.Resources/tags/write'), {}, /does not match/],
    ['subscriptionId of another subscription', (d) => (d.subscriptionId = '00000000-0000-0000-0000-000000000002'), {}, /data\.subscriptionId '00000000-0000-0000-0000-000000000002' is not the subscription/],
    ['data null (read as no data)', () => undefined, { data: null }, /data Invalid input: expected object, received undefined/],
    ['data an array', () => undefined, { data: [] }, /event\.data must be a JSON object/],
    ['time not RFC 3339', () => undefined, { time: 'yesterday' }, /event\.eventTime must be an RFC 3339 timestamp with a time zone .*, not 'yesterday'/],
    ['id empty', () => undefined, { id: '' }, /event\.id must not be empty/],
    ['id with control characters', () => undefined, { id: 'a\u0007b' }, /event\.id contains control/],
    ['type a number', () => undefined, { type: 7 }, /event\.eventType must be a string, not number 7/],
    ['subject with a bidi override', () => undefined, { subject: ASSIGNMENT_ID.replace('rg-weights', 'rg-\u202eweights') }, /event\.subject contains control/],
    ['subject longer than 2048', () => undefined, { subject: long }, /event\.subject must be at most 2048 characters/],
  ])('%s', (_label, edit, envelope, message) => {
    expectValidation(() => decodeArmEvent(withData('role-assignment-write.eventgrid', edit, envelope)), message);
  });

  test('data that is JSON but not an object (a CloudEvent\'s data_base64) is refused by the decoder', () => {
    const raw = rawWith('role-assignment-write.cloudevent', { data: undefined });
    const event = receivedEventFrom({ ...raw, data_base64: Buffer.from('[1,2]').toString('base64') });
    expectValidation(() => decodeArmEvent(event), /data Invalid input: expected object, received array/);
  });

  test('the delete fixture with a write operation is refused too', () => {
    expectValidation(
      () => decodeArmEvent(withData('role-assignment-delete.eventgrid', (d) => (d.operationName = 'Microsoft.Authorization/roleAssignments/write'))),
      /does not match a Microsoft\.Resources\.ResourceDeleteSuccess/,
    );
  });

  test('not an object at all', () => {
    expectValidation(() => decodeArmEvent(receivedEventFrom(null)), /event must be a JSON object, got null/);
    expectValidation(() => decodeArmEvent(receivedEventFrom('x')), /got a string/);
  });
});

describe('property-based: hostile inputs', () => {
  const base = receivedFixture('role-assignment-write.eventgrid');
  const baseData = base.data as Record<string, unknown>;

  /** Delivers `event` as production does (envelope parser, then decoder). */
  function decodeOrValidationError(event: unknown): ArmEvent | undefined {
    try {
      return decodeArmEvent(receivedEventFrom(event));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return undefined;
    }
  }

  test('any value at all: a result or a ValidationError, nothing else', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        decodeOrValidationError(value);
      }),
      { numRuns: 500 },
    );
  });

  test('any field of the envelope or data replaced by anything: a result or a ValidationError', () => {
    const envelopeKeys = ['id', 'type', 'subject', 'time', 'topic', 'data'] as const;
    const dataKeys = [...Object.keys(baseData), 'claims', 'authorization'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...envelopeKeys), fc.anything({ withNullPrototype: true })),
        fc.dictionary(fc.constantFrom(...dataKeys), fc.oneof(fc.anything({ withNullPrototype: true }), fc.string({ unit: 'binary' }), fc.constant(ASSIGNMENT_ID))),
        (envelopeEdits, dataEdits) => {
          const data = { ...structuredClone(baseData), ...dataEdits };
          decodeOrValidationError(rawWith('role-assignment-write.eventgrid', { data, ...envelopeEdits }));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('hostile strings in resourceUri: refused, or decoded to the same resource (never anything else)', () => {
    const segment = fc.string({ unit: 'binary', maxLength: 12 });
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 3000 }),
      fc.tuple(segment, segment).map(([a, b]) => ASSIGNMENT_ID.replace('rg-weights', a).replace(NAME, b)),
      fc.constantFrom(ASSIGNMENT_ID.toUpperCase(), `//${ASSIGNMENT_ID.slice(1)}`, ASSIGNMENT_ID + '/', ASSIGNMENT_ID.padEnd(4000, 'x')),
    );
    fc.assert(
      fc.property(hostile, fc.boolean(), (resourceUri, keepSubject) => {
        const subject = keepSubject ? base.subject : '';
        const decoded = decodeOrValidationError(rawWith('role-assignment-write.eventgrid', { subject, data: { ...baseData, resourceUri } }));
        if (decoded === undefined || decoded.kind === 'ignored') return;
        expect(decoded.kind).toBe('roleAssignmentWrite');
        if (decoded.kind !== 'roleAssignmentWrite') return;
        // An empty resourceUri counts as missing: the subject names the resource then.
        const named = resourceUri === '' ? subject : resourceUri;
        expect(decoded.assignmentId.toLowerCase()).toBe(normalizeArmId(named)?.toLowerCase());
        expect(decoded.assignmentId.length).toBeLessThanOrEqual(2048);
        expect(isSafeText(decoded.assignmentId)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('whatever the evidence says, it never becomes the target or the caller', () => {
    const guid = fc.uuid();
    fc.assert(
      fc.property(guid, guid, fc.string(), fc.boolean(), fc.boolean(), (principalId, assignmentGuid, role, dropUri, dropClaims) => {
        fc.pre(!ASSIGNMENT_ID.toLowerCase().includes(principalId.toLowerCase()) && !ASSIGNMENT_ID.toLowerCase().includes(assignmentGuid.toLowerCase()));
        const evidenceScope = `/subscriptions/${SUB}/resourceGroups/rg-evidence-only`;
        const data: Record<string, unknown> = {
          ...structuredClone(baseData),
          authorization: {
            scope: `${evidenceScope}/providers/Microsoft.Authorization/roleAssignments/${assignmentGuid}`,
            action: 'Microsoft.Authorization/roleAssignments/write',
            evidence: { role, roleAssignmentScope: evidenceScope, roleAssignmentId: assignmentGuid, principalId, principalType: 'User' },
          },
        };
        if (dropUri) delete data.resourceUri;
        if (dropClaims) delete data.claims;
        const decoded = decodeOrValidationError(rawWith('role-assignment-write.eventgrid', { data }));
        const json = JSON.stringify(decoded ?? {}).toLowerCase();
        expect(json).not.toContain(principalId.toLowerCase());
        expect(json).not.toContain(assignmentGuid.toLowerCase());
        expect(json).not.toContain('rg-evidence-only');
        if (decoded?.kind === 'roleAssignmentWrite') expect(decoded.assignmentId).toBe(ASSIGNMENT_ID);
      }),
      { numRuns: 300 },
    );
  });
});
