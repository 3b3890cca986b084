/**
 * The `guardrails:` section of a policy file as policies:check sees it (every bad line names
 * file, path and reason), which policy's guardrails govern a resource, and the seed policies'
 * defaults.
 */
import { join } from 'node:path';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { PolicyLoadError, PolicySet, type PolicyProblem } from '../../shared/domain/policy';
import { governingGuardrails, governingSecretRules, guardedScopes, watchedBlobEvents } from '../../shared/domain/guardrails/governing';
import { complies, guardedProperty, guardedResourceOf } from '../../shared/domain/guardrails/properties';
import { RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const GROUP = '00000000-0000-4000-8000-000000000021';

const policy = (guardrails: string, scope = `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights`) => `id: weights
description: test policy
scope: ${scope}
mode: enforce
guardrails:
${guardrails}`;

const valid = `  storageAccounts:
    allowBlobPublicAccess: { remediate: auto }
    minimumTlsVersion: { value: TLS1_2, remediate: auto }
    allowSharedKeyAccess: { remediate: alert }
  keyVaults:
    enableRbacAuthorization: { remediate: alert, urgent: true }
  secrets:
    maxAge: P90D
  exceptions:
    approvals: 2
    approvers: { groups: [${GROUP}] }
    maxDuration: P3D
  watch:
    blobEvents: [BlobDeleted, microsoft.storage.blobcreated]
`;

function problemsOf(text: string): PolicyProblem[] {
  try {
    PolicySet.fromSources([{ file: 'policies/weights.yaml', text }]);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyLoadError);
    return [...(err as PolicyLoadError).problems];
  }
  throw new Error('expected the policy to be refused');
}

test('a valid section loads with defaults filled in', () => {
  const [p] = PolicySet.fromSources([{ file: 'policies/weights.yaml', text: policy(valid) }]).policies;
  expect(p!.guardrails).toEqual({
    storageAccounts: [
      { kind: 'storageAccount', property: 'allowBlobPublicAccess', value: false, remediate: 'auto', urgent: false },
      { kind: 'storageAccount', property: 'minimumTlsVersion', value: 'TLS1_2', remediate: 'auto', urgent: false },
      { kind: 'storageAccount', property: 'allowSharedKeyAccess', value: false, remediate: 'alert', urgent: false },
    ],
    keyVaults: [{ kind: 'keyVault', property: 'enableRbacAuthorization', value: true, remediate: 'alert', urgent: true }],
    secrets: { maxAge: 'P90D', maxAgeMs: 90 * 86_400_000, owners: { groups: [], users: [] } },
    exceptions: { approvals: 2, approvers: { groups: [GROUP], users: [] }, maxDuration: 'P3D', maxDurationMs: 3 * 86_400_000 },
    fight: { maxRemediations: 3, window: 'PT10M', windowMs: 600_000, holdOff: 'PT1H', holdOffMs: 3_600_000 },
    watchBlobEvents: ['Microsoft.Storage.BlobDeleted', 'Microsoft.Storage.BlobCreated'],
  });
});

test.each<[string, string, string, RegExp]>([
  ['an unknown setting', '    allowAnything: { remediate: auto }\n', 'guardrails.storageAccounts.allowAnything', /is not a setting guardrails can guard; known: allowBlobPublicAccess, /],
  ['a value that is not locked down', '    minimumTlsVersion: { value: TLS1_0, remediate: auto }\n', 'guardrails.storageAccounts.minimumTlsVersion.value', /"TLS1_0" is not a locked-down value of minimumTlsVersion; use "TLS1_2" or "TLS1_3"/],
  ['auto on shared keys', '    allowSharedKeyAccess: { remediate: auto }\n', 'guardrails.storageAccounts.allowSharedKeyAccess.remediate', /must be alert: turning shared key access off breaks every client/],
  ['no remediate', '    allowBlobPublicAccess: { value: false }\n', 'guardrails.storageAccounts.allowBlobPublicAccess.remediate', /^is missing: it must be one of "auto", "alert"$/],
  ['a misspelt key', '    allowBlobPublicAccess: { remediate: auto, urgnet: true }\n', 'guardrails.storageAccounts.allowBlobPublicAccess.urgnet', /unknown key/],
])('%s is refused with its path', (_name, line, path, reason) => {
  const problems = problemsOf(policy(`  storageAccounts:\n${line}`));
  expect(problems).toContainEqual(expect.objectContaining({ file: 'policies/weights.yaml', path, reason: expect.stringMatching(reason) }));
});

test.each<[string, string, string, RegExp]>([
  ['auto on the RBAC model', '  keyVaults:\n    enableRbacAuthorization: { remediate: auto }\n', 'guardrails.keyVaults.enableRbacAuthorization.remediate', /must be alert: switching a vault to the RBAC permission model/],
  ['a storage setting on vaults', '  keyVaults:\n    allowBlobPublicAccess: { remediate: auto }\n', 'guardrails.keyVaults.allowBlobPublicAccess', /known: enableRbacAuthorization/],
  ['a bad secret age', '  secrets:\n    maxAge: 90 days\n', 'guardrails.secrets.maxAge', /ISO 8601/],
  ['unreachable exception approvals', `  exceptions:\n    approvals: 3\n    approvers: { users: [${GROUP}] }\n    maxDuration: P1D\n`, 'guardrails.exceptions.approvals', /can never be reached/],
  ['no exception approvers', `  exceptions:\n    approvals: 1\n    approvers: {}\n    maxDuration: P1D\n`, 'guardrails.exceptions.approvers', /name at least one approver/],
  ['an unknown blob event', '  watch:\n    blobEvents: [BlobExploded]\n', 'guardrails.watch.blobEvents[0]', /not a blob event type/],
  ['an unknown key', '  storageAcounts: {}\n', 'guardrails.storageAcounts', /unknown key/],
])('%s is refused with its path', (_name, text, path, reason) => {
  const problems = problemsOf(policy(text));
  expect(problems).toContainEqual(expect.objectContaining({ path, reason: expect.stringMatching(reason) }));
});

describe('which guardrails govern a resource', () => {
  let policies: PolicySet;
  beforeAll(async () => {
    policies = await loadPolicies(join(__dirname, '../../policies'));
  });
  const stweights = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
  const kv = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;
  const elsewhere = `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-other/providers/Microsoft.Storage/storageAccounts/stother`;

  test('the most specific policy that guards the kind, in its mode', () => {
    expect(governingGuardrails(policies, stweights, 'storageAccount')).toMatchObject({ policy: { id: 'model-weights' }, mode: 'enforce' });
    expect(governingGuardrails(policies, `${RG.sandbox}/providers/Microsoft.Storage/storageAccounts/stsandbox`, 'storageAccount')).toMatchObject({ policy: { id: 'sandbox' }, mode: 'audit' });
    expect(governingGuardrails(policies, elsewhere, 'storageAccount')?.policy.id).toBe('subscription-baseline');
    // model-weights says nothing about vaults: the baseline's vault guardrails apply in rg-weights.
    expect(governingGuardrails(policies, `${RG.weights}/providers/Microsoft.KeyVault/vaults/kv-w`, 'keyVault')?.policy.id).toBe('subscription-baseline');
    expect(governingGuardrails(policies, kv, 'keyVault')?.policy.id).toBe('research');
  });

  test('secret rules, watched blob events and the scopes reconcile lists', () => {
    expect(governingSecretRules(policies, kv)?.secrets.maxAge).toBe('P90D');
    expect(governingSecretRules(policies, `${RG.weights}/providers/Microsoft.KeyVault/vaults/kv-w`)).toBeUndefined();
    expect(watchedBlobEvents(policies, stweights)?.types).toEqual(['Microsoft.Storage.BlobDeleted']);
    expect(watchedBlobEvents(policies, `${RG.research}/providers/Microsoft.Storage/storageAccounts/stscratch`)).toBeUndefined();
    expect(guardedScopes(policies, 'keyVault').sort()).toEqual([RG.research, SUBSCRIPTION_SCOPE].sort());
  });

  test('the seed tenant starts compliant with the seed policies (stweights: private only, shared keys off)', () => {
    const rules = governingGuardrails(policies, stweights, 'storageAccount')!.rules;
    expect(rules.map((r) => `${r.property}:${r.remediate}`)).toEqual([
      'allowBlobPublicAccess:auto',
      'publicNetworkAccess:auto',
      'networkAcls.defaultAction:auto',
      'minimumTlsVersion:auto',
      'supportsHttpsTrafficOnly:auto',
      'allowCrossTenantReplication:auto',
      'allowSharedKeyAccess:alert',
    ]);
  });
});

describe('guarded ids and values', () => {
  test.each([
    [`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`, 'storageAccount', 'stweights'],
    [`${RG.weights.toUpperCase()}/PROVIDERS/microsoft.storage/STORAGEACCOUNTS/stweights/privateEndpointConnections/pe1`, 'storageAccount', 'stweights'],
    [`//${RG.research.slice(1)}/providers/Microsoft.KeyVault/vaults/kv-research/accessPolicies/add`, 'keyVault', 'kv-research'],
  ])('%s names a guarded %s', (id, kind, name) => {
    expect(guardedResourceOf(id)).toMatchObject({ kind, name, subscriptionId: '00000000-0000-0000-0000-000000000001' });
  });

  test.each([`${RG.weights}/providers/Microsoft.Resources/deployments/tmp-123`, `${RG.weights}/providers/Microsoft.Storage/storageAccounts`, RG.weights, '/providers/Microsoft.Storage/storageAccounts/x'])('%s names none', (id) => {
    expect(guardedResourceOf(id)).toBeUndefined();
  });

  test('compliance by value: TLS is ordered, unset reads as Azure reads it', () => {
    const tls = guardedProperty('storageAccount', 'minimumTlsVersion')!;
    expect([complies(tls, 'TLS1_2', 'TLS1_3'), complies(tls, 'TLS1_2', 'TLS1_1'), complies(tls, 'TLS1_2', null), complies(tls, 'TLS1_2', 'TLS9')]).toEqual([true, false, false, false]);
    const keys = guardedProperty('storageAccount', 'allowSharedKeyAccess')!;
    expect([complies(keys, false, false), complies(keys, false, null), complies(keys, false, true)]).toEqual([true, false, false]);
  });
});
