/**
 * What code and infra must agree on, checked here because no Bicep compiler runs on this
 * machine and a drift would only show in Azure (a 400 on an ORDER BY, markers that never expire,
 * a setting the app needs and never gets, an event nobody subscribed to):
 * - infra/shared/app-settings.json lists exactly the settings shared/config.ts decodes, and
 *   infra/app/function.bicep's `values` holds exactly the deployed ones; nothing Flex rejects;
 * - infra/shared/cosmos.json is what the code creates, with a composite index for every ORDER BY
 *   on two fields and per-document ttl where markers carry one;
 * - infra/shared/events.json delivers to exactly the table's Event Grid functions, and every event
 *   type and operation it lets through is one the function's decoder acts on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import appSettings from '../../infra/shared/app-settings.json';
import cosmosSpec from '../../infra/shared/cosmos.json';
import eventsSpec from '../../infra/shared/events.json';
import { functionTable } from '../../functions/table';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { settingsSchema } from '../../shared/config';
import { decodeArmEvent } from '../../shared/domain/events/armEvent';
import { decodeKeyVaultEvent, KEY_VAULT_EVENT_TYPES } from '../../shared/domain/events/keyVaultEvent';
import { BLOB_EVENT_TYPES, decodeStorageEvent } from '../../shared/domain/events/storageEvent';
import { delivered, withData } from '../events/fixtures';
import { bicepFiles, bicepObjectKeys, readRepoFile, sourceFiles } from './bicep';

const root = join(__dirname, '..', '..');

describe('app settings', () => {
  const declared = Object.keys(appSettings.settings).sort();
  const deployed = Object.entries(appSettings.settings)
    .filter(([, s]) => s.deployed)
    .map(([name]) => name);

  test('the file lists exactly the settings shared/config.ts decodes', () => {
    expect(declared).toEqual(Object.keys(settingsSchema.shape).sort());
  });

  test('every setting left out of the deployment says why', () => {
    for (const [name, setting] of Object.entries(appSettings.settings)) {
      if (!setting.deployed) expect({ name, why: 'why' in setting ? setting.why : undefined }).toEqual({ name, why: expect.stringMatching(/\w{3,}/) });
    }
  });

  test('function.bicep passes a value for exactly the deployed and platform settings, and appSettings.bicep deploys those', () => {
    const values = bicepObjectKeys(readRepoFile('infra/app/function.bicep'), '    values: {');
    expect(values.sort()).toEqual([...deployed, ...appSettings.platform].sort());
    expect(readRepoFile('infra/app/appSettings.bicep')).toMatch(/filter\(items\(spec\.settings\), s => s\.value\.deployed\)/);
  });

  test('no template sets anything Flex Consumption rejects', () => {
    for (const file of bicepFiles()) {
      const text = readRepoFile(file).replace(/\/\/.*$/gm, '');
      for (const name of appSettings.forbidden) expect({ file, name, found: new RegExp(`\\b${name}\\b`).test(text) }).toEqual({ file, name, found: false });
    }
    for (const name of appSettings.forbidden) expect(declared).not.toContain(name);
  });

  test('required settings without a default are all deployed', () => {
    const required = Object.entries(settingsSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([name]) => name);
    expect(required.filter((name) => !deployed.includes(name))).toEqual([]);
  });

  test('the deployed database is the one the code defaults to', () => {
    expect(settingsSchema.shape.COSMOS_DATABASE.parse(undefined)).toBe(cosmosSpec.database);
  });
});

describe('Cosmos containers', () => {
  test('the code creates exactly the containers the template deploys', () => {
    expect(CONTAINERS.map((c) => ({ name: c.name, partitionKey: c.partitionKey, indexingPolicy: c.indexingPolicy, defaultTtl: c.defaultTtl }))).toEqual(
      cosmosSpec.containers.map((c) => ({ name: c.name, partitionKey: c.partitionKey, indexingPolicy: c.indexingPolicy, defaultTtl: 'defaultTtl' in c ? c.defaultTtl : undefined })),
    );
  });

  test('every ORDER BY on two fields has a composite index in that order and direction (real Cosmos answers 400 otherwise)', () => {
    const orderBys = sourceFiles('shared').flatMap((file) =>
      [...readRepoFile(file).matchAll(/ORDER BY c\.(\w+)(?: (ASC|DESC))?, c\.(\w+)(?: (ASC|DESC))?/gi)].map((m) => ({
        file,
        first: { path: `/${m[1]}`, order: (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? 'descending' : 'ascending' },
        second: { path: `/${m[3]}`, order: (m[4] ?? 'ASC').toUpperCase() === 'DESC' ? 'descending' : 'ascending' },
      })),
    );
    expect(orderBys.map((o) => o.file)).toContain('shared/adapters/ledger/queryAudit.ts');
    const indexes = cosmosSpec.containers.flatMap((c) => c.indexingPolicy.compositeIndexes);
    for (const o of orderBys) expect(indexes).toContainEqual([o.first, o.second]);
  });

  test('state, where idempotency markers carry a ttl, has per-document ttl on', () => {
    expect(readRepoFile('shared/adapters/ledger/ledger.ts')).toMatch(/\bttl\b/);
    expect(cosmosSpec.containers.find((c) => c.name === 'state')).toMatchObject({ defaultTtl: -1 });
  });

  test('the template passes indexes and ttl through unchanged', () => {
    const cosmos = readRepoFile('infra/app/cosmos.bicep');
    expect(cosmos).toMatch(/indexingPolicy: c\.indexingPolicy/);
    expect(cosmos).toMatch(/defaultTtl: c\.defaultTtl/);
    expect(cosmos).toMatch(/disableLocalAuth: true/);
  });
});

describe('Event Grid subscriptions', () => {
  const table = functionTable(() => Promise.reject(new Error('not used')));

  test('deliver to exactly the Event Grid functions of the registration table', () => {
    expect(Object.values(eventsSpec.subscriptions).map((s) => s.functionName).sort()).toEqual(table.filter((f) => f.kind === 'eventGrid').map((f) => f.name).sort());
  });

  test('one subscription per kind of source the hook knows, each with a distinct name', () => {
    const subscriptions = Object.values(eventsSpec.subscriptions);
    expect(Object.keys(eventsSpec.subscriptions).sort()).toEqual(['keyVault', 'storage', 'subscription']);
    expect(new Set(subscriptions.map((s) => s.subscriptionName)).size).toBe(subscriptions.length);
    expect(eventsSpec.retryPolicy).toEqual({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 });
  });

  const spec = (functionName: string) => Object.values(eventsSpec.subscriptions).find((s) => s.functionName === functionName)!;

  test('keyVaultEvents receives exactly the Key Vault event types its decoder knows', () => {
    expect(spec('keyVaultEvents').includedEventTypes).toEqual([...KEY_VAULT_EVENT_TYPES]);
    for (const type of spec('keyVaultEvents').includedEventTypes) {
      expect(decodeKeyVaultEvent(delivered('keyvault-secret-new-version.eventgrid', { type })).kind).toBe('keyVault');
    }
  });

  test('storageEvents receives exactly the blob event types its decoder knows', () => {
    expect(spec('storageEvents').includedEventTypes).toEqual([...BLOB_EVENT_TYPES]);
    for (const type of spec('storageEvents').includedEventTypes) {
      expect(decodeStorageEvent(delivered('storage-blob-created.eventgrid', { type })).kind).toBe('storage');
    }
  });

  test('armEvents lets through role assignment writes and deletes, and every operation it lets through is one enforcement acts on', () => {
    const arm = spec('armEvents');
    expect(arm.operations).toEqual(expect.arrayContaining(['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete']));
    const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';
    for (const operation of arm.operations) {
      // The resource the event names: types alternate with names; an action names the resource it acts on.
      const segments = operation.split('/');
      const [provider, verb] = [segments[0]!, segments[segments.length - 1]];
      const types = segments.slice(1, verb === 'action' ? -2 : -1);
      const path = types.map((t, i) => `${t}/${provider === 'Microsoft.Authorization' ? '0f2c7f3e-1d2b-4c5a-9e8f-7a6b5c4d3e2f' : `x${i + 1}`}`).join('/');
      const resourceId = provider === 'Microsoft.Authorization' ? `${sub}/providers/${provider}/${path}` : `${sub}/resourceGroups/rg-x/providers/${provider}/${path}`;
      const eventType = verb === 'delete' ? 'Microsoft.Resources.ResourceDeleteSuccess' : verb === 'action' ? 'Microsoft.Resources.ResourceActionSuccess' : 'Microsoft.Resources.ResourceWriteSuccess';
      expect(arm.includedEventTypes).toContain(eventType);
      const decoded = decodeArmEvent(
        withData(
          'storage-account-write.eventgrid',
          (data) => {
            data.operationName = operation;
            data.resourceUri = resourceId;
          },
          { type: eventType, subject: resourceId },
        ),
      );
      expect({ operation, kind: decoded.kind }).toEqual({ operation, kind: expect.not.stringMatching(/^(ignored|otherWrite|otherDelete)$/) });
    }
  });

  test('the template filters on the file\'s event types and operations', () => {
    const topic = readRepoFile('infra/events/topic.bicep');
    expect(topic).toMatch(/includedEventTypes: subscriptionSpec\.includedEventTypes/);
    expect(topic).toMatch(/key: 'data\.operationName', values: subscriptionSpec\.operations/);
    expect(topic).toMatch(/deadLetterWithResourceIdentity/);
  });
});

test('every file a template loads exists', () => {
  for (const file of bicepFiles()) {
    for (const m of readRepoFile(file).matchAll(/loadJsonContent\('([^']+)'\)/g)) {
      expect(() => readFileSync(join(root, file, '..', m[1]!))).not.toThrow();
    }
  }
});
