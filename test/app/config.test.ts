/** Start-up configuration: every bad or missing setting is named, and nothing starts on a bad one. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lazyApp } from '../../shared/compositionRoot';
import { loadConfig } from '../../shared/config';
import { ConfigError } from '../../shared/domain/errors';
import { PolicyLoadError } from '../../shared/domain/policy';
import { startLocalStack } from '../../dev/localStack';

const valid = {
  AZURE_TENANT_ID: '00000000-0000-0000-0000-0000000000f0',
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  ACCESSMANAGER_PRINCIPAL_ID: '00000000-0000-4000-8000-000000000018',
  COSMOS_ENDPOINT: 'https://example.documents.azure.com:443/',
};

describe('loadConfig', () => {
  test('a complete configuration decodes with defaults', () => {
    const config = loadConfig(valid);
    expect(config.ACCESSMANAGER_ENV).toBe('azure');
    expect(config.COSMOS_DATABASE).toBe('accessmanager');
    expect(config.ARM_ENDPOINT).toBe('https://management.azure.com');
    expect(config.COSMOS_KEY).toBeUndefined();
  });

  test.each([
    [{ ...valid, AZURE_TENANT_ID: undefined }, /AZURE_TENANT_ID is missing/],
    [{ ...valid, AZURE_SUBSCRIPTION_ID: 'not-a-guid' }, /AZURE_SUBSCRIPTION_ID must be a GUID \(got "not-a-guid"\)/],
    [{ ...valid, COSMOS_ENDPOINT: 'http://insecure:8081' }, /COSMOS_ENDPOINT must be an https:\/\/ URL/],
    [{ ...valid, ACCESSMANAGER_ENV: 'prod' }, /ACCESSMANAGER_ENV/],
    [{ ...valid, VERBOSE_LOGS: 'yes' }, /VERBOSE_LOGS/],
  ])('names the bad setting %#', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('break-glass accounts are a comma-separated list of object ids', () => {
    expect(loadConfig(valid).BREAKGLASS_PRINCIPAL_IDS).toEqual([]);
    expect(loadConfig({ ...valid, BREAKGLASS_PRINCIPAL_IDS: '00000000-0000-4000-8000-000000000017, 00000000-0000-4000-8000-000000000019' }).BREAKGLASS_PRINCIPAL_IDS).toEqual([
      '00000000-0000-4000-8000-000000000017',
      '00000000-0000-4000-8000-000000000019',
    ]);
    expect(() => loadConfig({ ...valid, BREAKGLASS_PRINCIPAL_IDS: '00000000-0000-4000-8000-000000000017,bob' })).toThrow(/BREAKGLASS_PRINCIPAL_IDS/);
  });

  test('security destination and the audit anchor container', () => {
    const config = loadConfig({
      ...valid,
      SECURITY_CONTACTS: '00000000-0000-4000-8000-000000000022,00000000-0000-4000-8000-000000000014',
      SECURITY_TEAMS_CHANNEL: '19:team@thread.tacv2/19:channel@thread.tacv2',
      AUDIT_ANCHOR_CONTAINER_URL: 'https://stanchors.blob.core.windows.net/audit-anchors',
    });
    expect(config.SECURITY_CONTACTS).toEqual(['00000000-0000-4000-8000-000000000022', '00000000-0000-4000-8000-000000000014']);
    expect(config.SECURITY_TEAMS_CHANNEL).toEqual({ teamId: '19:team@thread.tacv2', channelId: '19:channel@thread.tacv2' });
    expect(loadConfig({ ...valid, AUDIT_ANCHOR_CONTAINER_URL: 'http://127.0.0.1:10000/devstoreaccount1/audit-anchors' }).AUDIT_ANCHOR_CONTAINER_URL).toMatch(/^http:/);
    expect(() => loadConfig({ ...valid, AUDIT_ANCHOR_CONTAINER_URL: 'http://stanchors.blob.core.windows.net/audit-anchors' })).toThrow(/AUDIT_ANCHOR_CONTAINER_URL must be an https/);
    expect(() => loadConfig({ ...valid, SECURITY_CONTACTS: 'erin' })).toThrow(/SECURITY_CONTACTS/);
    expect(() => loadConfig({ ...valid, SECURITY_TEAMS_CHANNEL: 'just-a-team' })).toThrow(/SECURITY_TEAMS_CHANNEL must be <team id>\/<channel id>/);
  });

  test('lists every problem at once, and points to the README', () => {
    try {
      loadConfig({});
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      for (const name of ['AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID', 'ACCESSMANAGER_PRINCIPAL_ID', 'COSMOS_ENDPOINT']) expect(message).toContain(name);
      expect(message).toContain('README');
    }
  });

  test('the composition root refuses to build on a bad configuration, every time it is asked', async () => {
    const getApp = lazyApp(() => ({ ...valid, COSMOS_ENDPOINT: 'nope' }));
    await expect(getApp()).rejects.toThrow(/COSMOS_ENDPOINT must be a URL/);
    await expect(getApp()).rejects.toThrow(ConfigError);
  });
});

describe('start-up with a bad policy', () => {
  test('stops with file, path and reason, and leaves nothing running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'am-policies-'));
    writeFileSync(
      join(dir, 'broken.yaml'),
      ['id: broken', 'description: d', 'scope: /subscriptions/00000000-0000-0000-0000-000000000001', 'mode: enforce', 'roles:', '  - role: Reader', '    maxDuration: forever', '    approvals: 1', '    approvers: { users: [00000000-0000-4000-8000-000000000014] }'].join('\n'),
    );
    const started = startLocalStack({ port: 0, simPort: 0, cosmosPort: 0, policiesDir: dir });
    await expect(started).rejects.toThrow(PolicyLoadError);
    await expect(started).rejects.toThrow(/broken\.yaml.*roles\[0\]\.maxDuration/s);
  });
});

describe('lazyApp', () => {
  it('builds on first use only, and tells shutdown whether an app exists without building one', async () => {
    const getApp = lazyApp(() => ({}));
    expect(getApp.ifBuilt()).toBeUndefined();
    // No settings: the build fails with the configuration error, and is forgotten for the next try.
    await expect(getApp()).rejects.toThrow(/AZURE_TENANT_ID is missing/);
    expect(getApp.ifBuilt()).toBeUndefined();
  });
});
