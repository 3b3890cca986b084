/** decodeKeyVaultEvent: the fixture, published-sample quirks (stray spaces, string NBF/EXP), errors, hostile inputs. */
import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import { receivedEventFrom, type ReceivedEvent } from '../../shared/domain/events/envelope';
import { decodeKeyVaultEvent, parseVaultTime } from '../../shared/domain/events/keyVaultEvent';
import { delivered, rawWith, receivedFixture, type EnvelopeEdits } from './fixtures';

const VAULT_ID = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-research/providers/Microsoft.KeyVault/vaults/kv-research';
const base = receivedFixture('keyvault-secret-new-version.eventgrid');

/** Envelope fields go through the envelope parser, as production delivers them; `data` is the decoder's to judge. */
function event(data: unknown, overrides: EnvelopeEdits = {}): ReceivedEvent {
  return { ...delivered('keyvault-secret-new-version.eventgrid', overrides), data };
}

function expectValidation(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(ValidationError);
  expect(fn).toThrow(message);
}

test('the fixture', () => {
  expect(decodeKeyVaultEvent(base)).toEqual({
    kind: 'keyVault',
    eventId: '2b9c6e10-0000-4000-8000-000000000005',
    eventType: 'Microsoft.KeyVault.SecretNewVersionCreated',
    eventTime: '2026-11-20T10:05:00.000Z',
    vaultName: 'kv-research',
    vaultId: VAULT_ID,
    objectType: 'Secret',
    objectName: 'db-password',
    version: 'ee059b2bb5bc48398a53b168c6cdcb10',
    objectUrl: 'https://kv-research.vault.azure.net/secrets/db-password/ee059b2bb5bc48398a53b168c6cdcb10',
    nbf: new Date(1795600000 * 1000),
  });
});

test('the published sample: stray spaces in keys, other letter case, string NBF/EXP', () => {
  const decoded = decodeKeyVaultEvent(
    event(
      {
        ' Id': 'https://kv-research.vault.azure.net/secrets/db-password/ee05',
        'vaultName ': 'kv-research',
        ObjectType: 'Secret',
        ' OBJECTNAME ': 'db-password',
        version: 'ee05',
        'NBF ': '1559081980',
        EXP: ' 1559082580 ',
      },
      { type: 'microsoft.keyvault.secretnearexpiry' },
    ),
  );
  expect(decoded).toMatchObject({
    kind: 'keyVault',
    eventType: 'Microsoft.KeyVault.SecretNearExpiry',
    objectName: 'db-password',
    version: 'ee05',
    nbf: new Date(1559081980 * 1000),
    exp: new Date(1559082580 * 1000),
  });
});

test('VaultAccessPolicyChanged: object is the vault, nulls for version and times', () => {
  const decoded = decodeKeyVaultEvent(
    event(
      { Id: 'https://kv-research.vault.azure.net/', VaultName: 'kv-research', ObjectType: 'Vault', ObjectName: 'kv-research', Version: null, NBF: null, EXP: null },
      { type: 'Microsoft.KeyVault.VaultAccessPolicyChanged', subject: 'kv-research' },
    ),
  );
  expect(decoded).toEqual(expect.objectContaining({ eventType: 'Microsoft.KeyVault.VaultAccessPolicyChanged', objectType: 'Vault', version: undefined }));
  expect(decoded).not.toHaveProperty('nbf');
  expect(decoded).not.toHaveProperty('exp');
});

test('the vault name compares case-insensitively with the topic; an unknown future type is kept as sent', () => {
  const decoded = decodeKeyVaultEvent(
    event({ ...(base.data as object), VaultName: 'KV-RESEARCH' }, { type: 'Microsoft.KeyVault.SecretRotated', topic: VAULT_ID.toUpperCase() }),
  );
  expect(decoded).toMatchObject({ eventType: 'Microsoft.KeyVault.SecretRotated', vaultName: 'KV-RESEARCH', vaultId: VAULT_ID.toUpperCase() });
});

test.each(['Microsoft.Storage.BlobCreated', 'Microsoft.Resources.ResourceWriteSuccess'])('%s is not a Key Vault event: ignored', (type) => {
  expect(decodeKeyVaultEvent(event(base.data, { type }))).toMatchObject({ kind: 'ignored', reason: `${type} is not a Key Vault event` });
});

describe('malformed and hostile data', () => {
  const data = base.data as Record<string, unknown>;
  test.each<[string, unknown, EnvelopeEdits, RegExp]>([
    ['data null', null, {}, /data must be an object, not null/],
    ['data an array', [data], {}, /data must be an object, not an array/],
    ['VaultName missing', { ...data, VaultName: undefined }, {}, /data\.VaultName is missing or empty/],
    ['VaultName blank', { ...data, VaultName: '   ' }, {}, /data\.VaultName is missing or empty/],
    ['ObjectName a number', { ...data, ObjectName: 42 }, {}, /data\.ObjectName must be a string, not number 42/],
    ['ObjectName with a control character', { ...data, ObjectName: 'db\u0000password' }, {}, /data\.ObjectName contains control/],
    ['Id too long', { ...data, Id: 'https://x/'.padEnd(2100, 'a') }, {}, /data\.Id must be at most 2048 characters/],
    ['VaultName of another vault', { ...data, VaultName: 'kv-other' }, {}, /data\.VaultName 'kv-other' is not the vault of topic/],
    ['conflicting keys', { ...data, ' vaultname ': 'kv-other' }, {}, /conflicting values for 'vaultname'/],
    ['NBF a word', { ...data, NBF: 'tomorrow' }, {}, /data\.NBF 'tomorrow' is neither Unix seconds nor an RFC 3339/],
    ['NBF negative', { ...data, NBF: -5 }, {}, /data\.NBF number -5 is not a plausible Unix time/],
    ['EXP beyond year 9999', { ...data, EXP: 1e15 }, {}, /data\.EXP number 1000000000000000 is not a plausible/],
    ['EXP an object', { ...data, EXP: { at: 1 } }, {}, /data\.EXP must be Unix seconds \(number or string\) or null, not an object/],
    ['topic not a vault', data, { topic: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-research' }, /topic .* is not the ARM id of a key vault/],
    ['topic a URL', data, { topic: 'https://kv-research.vault.azure.net' }, /is not the ARM id of a key vault/],
    ['time garbage', data, { time: '20 Nov 2026' }, /event\.eventTime must be an RFC 3339 timestamp .*not '20 Nov 2026'/],
    ['topic with control characters', data, { topic: `${VAULT_ID}\u0000` }, /event\.topic contains control/],
  ])('%s', (_label, value, overrides, message) => {
    expectValidation(() => decodeKeyVaultEvent(event(value, overrides)), message);
  });
});

describe('parseVaultTime', () => {
  test.each<[unknown, Date | undefined]>([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    [0, new Date(0)],
    [1795600000, new Date(1795600000000)],
    ['1795600000', new Date(1795600000000)],
    [1795600000.5, new Date(1795600000500)],
    ['2026-11-20T10:05:00Z', new Date('2026-11-20T10:05:00Z')],
    ['2026-11-20T10:05:00+02:00', new Date('2026-11-20T08:05:00Z')],
  ])('%j', (value, expected) => {
    expect(parseVaultTime(value, 'NBF', 'test')).toEqual(expected);
  });

  test.each([Number.NaN, Number.POSITIVE_INFINITY, -1, true, [], 'Infinity', '1e9', '0x10'])('%j is refused', (value) => {
    expect(() => parseVaultTime(value, 'NBF', 'test')).toThrow(ValidationError);
  });
});

test('property: any data or envelope field: a result or a ValidationError, nothing else', () => {
  const keys = ['Id', 'VaultName', 'ObjectType', 'ObjectName', 'Version', 'NBF', 'EXP', ' vaultname', 'nbf ', '__proto__', 'constructor'];
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.anything({ withNullPrototype: true }), fc.string({ unit: 'binary' }), fc.double())),
      fc.dictionary(fc.constantFrom('id', 'type', 'topic', 'time', 'subject', 'data'), fc.anything()),
      (dataEdits, envelopeEdits) => {
        try {
          const raw = rawWith('keyvault-secret-new-version.eventgrid', { data: { ...(base.data as object), ...dataEdits }, ...envelopeEdits });
          decodeKeyVaultEvent(receivedEventFrom(raw));
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
        }
      },
    ),
    { numRuns: 500 },
  );
});
