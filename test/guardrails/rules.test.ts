/** The secret rule and the guardrail exception rule: one table row per case. */
import { join } from 'node:path';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import type { PolicySet } from '../../shared/domain/policy';
import { evaluateGuardrailException, type GuardrailExceptionCommand } from '../../shared/domain/guardrails/exceptionRules';
import { judgeSecret, secretKey } from '../../shared/domain/guardrails/secrets';
import { GROUPS, PEOPLE, RG } from '../../dev/tenant';

const NOW = new Date('2026-11-20T12:00:00Z');
const DAY = 86_400_000;
const days = (n: number) => new Date(NOW.getTime() + n * DAY);
const MAX = 90 * DAY;

describe('secrets', () => {
  test.each([
    ['expires within the maximum age: fine', { createdOn: days(-10), expiresOn: days(60) }, undefined],
    ['no expiry', { createdOn: days(-1) }, 'noExpiry'],
    ['expires beyond the maximum age', { createdOn: days(-1), expiresOn: days(100) }, 'expiryTooFar'],
    ['older than the maximum age (attributes changed without an event)', { createdOn: days(-100), expiresOn: days(-11) }, 'pastMaxAge'],
    ['the maximum is counted from not-before when set', { createdOn: days(-200), notBefore: days(-5), expiresOn: days(80) }, undefined],
    ['a disabled secret cannot be read: nothing to say', { enabled: false, createdOn: days(-1) }, undefined],
  ])('%s', (_name, fields, problem) => {
    const verdict = judgeSecret({ name: 'db-password', enabled: true, ...fields }, MAX, 'P90D', NOW);
    expect(verdict?.problem).toBe(problem);
  });

  test('one record per vault (any case), secret (any case), version and problem', () => {
    const vault = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;
    expect(secretKey(vault.toUpperCase(), { name: 'DB-password', version: 'v1' }, 'noExpiry')).toBe(secretKey(vault, { name: 'db-password', version: 'v1' }, 'noExpiry'));
    expect(secretKey(vault, { name: 'db-password', version: 'v2' }, 'noExpiry')).not.toBe(secretKey(vault, { name: 'db-password', version: 'v1' }, 'noExpiry'));
  });
});

describe('guardrail exception requests', () => {
  let policies: PolicySet;
  beforeAll(async () => {
    policies = await loadPolicies(join(__dirname, '../../policies'));
  });
  const STWEIGHTS = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
  const command = (overrides: Partial<GuardrailExceptionCommand> = {}): GuardrailExceptionCommand => ({
    scope: STWEIGHTS,
    property: 'allowSharedKeyAccess',
    allowedValue: true,
    duration: 'P1D',
    justification: 'the legacy exporter signs with an account key until Friday',
    compensatingControl: 'keys rotated daily; the exporter runs from the private endpoint only',
    requester: { id: PEOPLE.alice, name: 'alice@contoso.test' },
    ...overrides,
  });

  test('a valid request drafts a pending guardrail exception under the governing policy', () => {
    const result = evaluateGuardrailException(command(), policies, NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.draft).toMatchObject({
      kind: 'guardrailException',
      guardrail: { resourceKind: 'storageAccount', property: 'allowSharedKeyAccess', allowedValue: true, requiredValue: false, compensatingControl: 'keys rotated daily; the exporter runs from the private endpoint only' },
      scope: STWEIGHTS,
      principalId: PEOPLE.alice,
      roleDefinitionId: '',
      roleName: 'Guardrail exception: allowSharedKeyAccess = true',
      duration: 'P1D',
      policyId: 'model-weights',
      status: 'pending',
      requiredApprovals: 2,
      approverGroups: [GROUPS.weightsApprovers],
      exception: false,
    });
  });

  test.each<[string, Partial<GuardrailExceptionCommand>, number, string]>([
    ['a resource group instead of a resource', { scope: RG.weights }, 400, 'InvalidScope'],
    ['a child of the account', { scope: `${STWEIGHTS}/blobServices/default` }, 400, 'InvalidScope'],
    ['a hostile scope', { scope: `${STWEIGHTS}/../stother` }, 400, 'InvalidScope'],
    ['a policy without exceptions (sandbox)', { scope: `${RG.sandbox}/providers/Microsoft.Storage/storageAccounts/stsandbox`, property: 'allowBlobPublicAccess' }, 403, 'GuardrailExceptionsNotAllowed'],
    ['a setting the policy does not guard', { property: 'isHnsEnabled' }, 400, 'UnknownGuardrail'],
    ['a value the setting cannot hold', { allowedValue: 'yes' }, 400, 'InvalidAllowedValue'],
    ['a value that already complies', { allowedValue: false }, 400, 'ExceptionNotNeeded'],
    ['longer than the policy allows', { duration: 'P4D' }, 400, 'DurationTooLong'],
    ['a zero duration', { duration: 'PT0S' }, 400, 'InvalidDuration'],
    ['no justification', { justification: '  ' }, 400, 'JustificationRequired'],
    ['no compensating control', { compensatingControl: '' }, 400, 'CompensatingControlRequired'],
    ['a duration under one minute', { duration: 'PT59S' }, 400, 'DurationTooShort'],
    ['a zero-width-only justification', { justification: '\u200b\u200c\u2060' }, 400, 'JustificationRequired'],
    ['a justification with a bidirectional override', { justification: 'approved by the CISO \u202etoday' }, 400, 'JustificationInvalid'],
    ['a compensating control with control characters', { compensatingControl: 'firewall\u0007' }, 400, 'CompensatingControlInvalid'],
  ])('%s is refused (%i %s)', (_name, overrides, status, code) => {
    const result = evaluateGuardrailException(command(overrides), policies, NOW);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.error.status, result.error.code]).toEqual([status, code]);
  });

  test('a vault setting under research, with its own approvers and cap', () => {
    const result = evaluateGuardrailException(command({ scope: `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`, property: 'enableRbacAuthorization', allowedValue: false, duration: 'P7D' }), policies, NOW);
    expect(result.ok && result.draft).toMatchObject({ policyId: 'research', requiredApprovals: 2, approverGroups: [GROUPS.securityTeam, GROUPS.weightsApprovers] });
  });
});
