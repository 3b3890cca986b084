/** decideGuardrails: one table row per rule of the decision, and the state transitions it relies on. */
import { decideGuardrails, verdictKey, type GoverningView, type GuardrailDecisionInput, type ResourceView } from '../../shared/domain/guardrails/decide';
import { emptyState, withClosed, withContested, withException, withOpen, withoutEndedExceptions, withPatch, type GuardrailState } from '../../shared/domain/guardrails/state';
import type { GuardrailRule } from '../../shared/domain/guardrails/types';
import { RG } from '../../dev/tenant';

const NOW = new Date('2026-11-20T12:00:00Z');
const MIN = 60_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();

const ACCOUNT = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
const VAULT = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;

const compliantAccount: ResourceView = {
  id: ACCOUNT,
  kind: 'storageAccount',
  values: {
    allowBlobPublicAccess: false,
    allowSharedKeyAccess: false,
    publicNetworkAccess: 'Disabled',
    'networkAcls.defaultAction': 'Deny',
    minimumTlsVersion: 'TLS1_2',
    supportsHttpsTrafficOnly: true,
    allowCrossTenantReplication: false,
  },
  approvedPrivateEndpoint: true,
};

const compliantVault: ResourceView = {
  id: VAULT,
  kind: 'keyVault',
  values: { enableRbacAuthorization: true, enablePurgeProtection: true, publicNetworkAccess: 'Disabled', 'networkAcls.defaultAction': 'Deny', accessPolicies: 'none' },
  approvedPrivateEndpoint: true,
};

const rule = (property: string, value: string | boolean, remediate: 'auto' | 'alert' = 'auto', kind: GuardrailRule['kind'] = 'storageAccount'): GuardrailRule => ({ kind, property, value, remediate, urgent: false });

const STORAGE_RULES: GuardrailRule[] = [
  rule('allowBlobPublicAccess', false),
  rule('allowSharedKeyAccess', false, 'alert'),
  rule('publicNetworkAccess', 'Disabled'),
  rule('networkAcls.defaultAction', 'Deny'),
  rule('minimumTlsVersion', 'TLS1_2'),
];
const VAULT_RULES: GuardrailRule[] = [
  rule('enableRbacAuthorization', true, 'alert', 'keyVault'),
  rule('enablePurgeProtection', true, 'auto', 'keyVault'),
  rule('accessPolicies', 'none', 'auto', 'keyVault'),
];

const fight = { maxRemediations: 3, window: 'PT10M', windowMs: 10 * MIN, holdOff: 'PT1H', holdOffMs: 60 * MIN };
const governing = (rules: GuardrailRule[], mode: 'enforce' | 'audit' = 'enforce'): GoverningView => ({ policyId: 'model-weights', mode, rules, fight });

function input(values: Record<string, unknown>, overrides: Partial<GuardrailDecisionInput> = {}, base: ResourceView = compliantAccount): GuardrailDecisionInput {
  return {
    resource: { ...base, values: { ...base.values, ...(values as ResourceView['values']) } },
    governing: governing(base.kind === 'keyVault' ? VAULT_RULES : STORAGE_RULES),
    state: undefined,
    byApp: false,
    now: NOW,
    ...overrides,
  };
}

const outcomeOf = (i: GuardrailDecisionInput, property: string) => decideGuardrails(i).verdicts.find((v) => v.property === property);
const stateWith = (edit: (s: GuardrailState) => GuardrailState): GuardrailState => edit(emptyState(ACCOUNT));

describe('one setting at a time', () => {
  test.each([
    ['a compliant account needs nothing', {}, 'allowBlobPublicAccess', 'compliant'],
    ['public blob access on: set back', { allowBlobPublicAccess: true }, 'allowBlobPublicAccess', 'remediate'],
    ['public blob access unset: its default changed across API versions, so it is set explicitly', { allowBlobPublicAccess: null }, 'allowBlobPublicAccess', 'remediate'],
    ['shared keys on: alerted, never changed (clients may break)', { allowSharedKeyAccess: true }, 'allowSharedKeyAccess', 'violation'],
    ['shared keys unset means allowed: alerted', { allowSharedKeyAccess: null }, 'allowSharedKeyAccess', 'violation'],
    ['TLS 1.0: set back', { minimumTlsVersion: 'TLS1_0' }, 'minimumTlsVersion', 'remediate'],
    ['TLS unset means 1.0: set back', { minimumTlsVersion: null }, 'minimumTlsVersion', 'remediate'],
    ['TLS 1.3 is stronger than required: complies', { minimumTlsVersion: 'TLS1_3' }, 'minimumTlsVersion', 'compliant'],
    ['public network on with a private endpoint: closed', { publicNetworkAccess: 'Enabled' }, 'publicNetworkAccess', 'remediate'],
    ['firewall open with a private endpoint: closed', { 'networkAcls.defaultAction': 'Allow' }, 'networkAcls.defaultAction', 'remediate'],
  ])('%s', (_name, values, property, outcome) => {
    expect(outcomeOf(input(values), property)?.outcome).toBe(outcome);
  });

  test('without an approved private endpoint, public network and firewall are alerted, not closed', () => {
    const decision = decideGuardrails(input({ publicNetworkAccess: 'Enabled', 'networkAcls.defaultAction': 'Allow' }, {}, { ...compliantAccount, approvedPrivateEndpoint: false }));
    expect(decision.verdicts.filter((v) => v.outcome === 'violation').map((v) => v.property)).toEqual(['publicNetworkAccess', 'networkAcls.defaultAction']);
    expect(decision.verdicts.find((v) => v.property === 'publicNetworkAccess')?.reason).toMatch(/no approved private endpoint/);
    expect(decision.patch).toEqual([]);
  });

  test('a setting only a human may change stays an alert even if a rule says auto (defence in depth)', () => {
    const i = input({ allowSharedKeyAccess: true }, { governing: governing([rule('allowSharedKeyAccess', false, 'auto')]) });
    expect(decideGuardrails(i)).toMatchObject({ verdicts: [{ outcome: 'violation', reason: expect.stringMatching(/breaks every client/) }], patch: [] });
  });

  test('the patch holds exactly the offending auto settings, with their required values', () => {
    const decision = decideGuardrails(input({ allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_1', allowSharedKeyAccess: true }));
    expect(decision.patch).toEqual([
      { property: 'allowBlobPublicAccess', value: false },
      { property: 'minimumTlsVersion', value: 'TLS1_2' },
    ]);
  });

  test('audit mode records what it would do and changes nothing; alerts stay alerts', () => {
    const decision = decideGuardrails({ ...input({ allowBlobPublicAccess: true, allowSharedKeyAccess: true }), governing: governing(STORAGE_RULES, 'audit') });
    expect(decision.verdicts.filter((v) => v.outcome !== 'compliant').map((v) => [v.property, v.outcome])).toEqual([
      ['allowBlobPublicAccess', 'wouldRemediate'],
      ['allowSharedKeyAccess', 'violation'],
    ]);
    expect(decision.patch).toEqual([]);
  });
});

describe('key vaults', () => {
  test.each([
    ['access-policy mode: urgent alert, never switched automatically', { enableRbacAuthorization: false }, 'enableRbacAuthorization', 'violation'],
    ['permission model unset means access policies: alert', { enableRbacAuthorization: null }, 'enableRbacAuthorization', 'violation'],
    ['purge protection off: turned on', { enablePurgeProtection: null }, 'enablePurgeProtection', 'remediate'],
    ['access policies left behind in RBAC mode: removed', { accessPolicies: 'present' }, 'accessPolicies', 'remediate'],
  ])('%s', (_name, values, property, outcome) => {
    expect(outcomeOf(input(values, {}, compliantVault), property)?.outcome).toBe(outcome);
  });

  test('in access-policy mode the access policies ARE the permissions: not removed (the RBAC alert covers it)', () => {
    const decision = decideGuardrails(input({ enableRbacAuthorization: false, accessPolicies: 'present' }, {}, compliantVault));
    expect(decision.verdicts.find((v) => v.property === 'accessPolicies')?.outcome).toBe('compliant');
    expect(decision.patch).toEqual([]);
  });
});

describe('loops and fights', () => {
  const patchedMomentsAgo = stateWith((s) => withPatch(s, at(-MIN), ['allowBlobPublicAccess']));

  test('the event of our own patch is recognised: no judgement of what we patched', () => {
    expect(outcomeOf(input({ allowBlobPublicAccess: false }, { byApp: true, state: patchedMomentsAgo }), 'allowBlobPublicAccess')?.outcome).toBe('ownWrite');
    // Even if someone flipped it back since: their own event judges it, never ours (no second fix from our event).
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { byApp: true, state: patchedMomentsAgo }), 'allowBlobPublicAccess')?.outcome).toBe('ownWrite');
  });

  test('our identity without a patch on record, or a stale one, is judged like anyone', () => {
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { byApp: true }), 'allowBlobPublicAccess')?.outcome).toBe('remediate');
    const stale = stateWith((s) => withPatch(s, at(-11 * MIN), ['allowBlobPublicAccess']));
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { byApp: true, state: stale }), 'allowBlobPublicAccess')?.outcome).toBe('remediate');
    // Someone else's event while our patch is fresh: judged.
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { byApp: false, state: patchedMomentsAgo }), 'allowBlobPublicAccess')?.outcome).toBe('remediate');
  });

  test('other settings on our own event are still judged', () => {
    expect(outcomeOf(input({ minimumTlsVersion: 'TLS1_0' }, { byApp: true, state: patchedMomentsAgo }), 'minimumTlsVersion')?.outcome).toBe('remediate');
  });

  const fixedAt = (...offsets: number[]) => stateWith((s) => offsets.reduce((acc, o, i) => withClosed(acc, 'allowBlobPublicAccess', i, at(o)), s));

  test('set back 3 times within 10 minutes and flipped again: contested, nothing patched', () => {
    const decision = decideGuardrails(input({ allowBlobPublicAccess: true }, { state: fixedAt(-5 * MIN, -3 * MIN, -MIN) }));
    expect(decision.verdicts[0]).toMatchObject({ outcome: 'contested', episode: 3, key: verdictKey('contested', ACCOUNT, 'allowBlobPublicAccess', true, 3) });
    expect(decision.patch).toEqual([]);
  });

  test('fixes spread over more than the window are no fight', () => {
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { state: fixedAt(-30 * MIN, -20 * MIN, -MIN) }), 'allowBlobPublicAccess')?.outcome).toBe('remediate');
  });

  test('a contested setting is held until its hold-off ends, then fixed again', () => {
    const held = stateWith((s) => withContested(s, 'allowBlobPublicAccess', 0, at(30 * MIN)));
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { state: held }), 'allowBlobPublicAccess')?.outcome).toBe('held');
    const over = stateWith((s) => withContested(s, 'allowBlobPublicAccess', 0, at(-MIN)));
    expect(outcomeOf(input({ allowBlobPublicAccess: true }, { state: over }), 'allowBlobPublicAccess')?.outcome).toBe('remediate');
  });

  test('a fix whose intent was recorded is resumed (same key), never counted as a new flip', () => {
    const intent = withOpen(fixedAt(-5 * MIN, -3 * MIN, -MIN), 'allowBlobPublicAccess', 3, { value: 'true', action: 'remediate', since: at(-1000) });
    const v = outcomeOf(input({ allowBlobPublicAccess: true }, { state: intent }), 'allowBlobPublicAccess');
    expect(v).toMatchObject({ outcome: 'remediate', key: verdictKey('remediated', ACCOUNT, 'allowBlobPublicAccess', true, 3) });
  });

  test('a fix that landed before its record (crash in between) is confirmed and recorded on the next read', () => {
    const intent = stateWith((s) => withOpen(s, 'allowBlobPublicAccess', 0, { value: 'true', action: 'remediate', since: at(-1000) }));
    expect(outcomeOf(input({}, { state: intent }), 'allowBlobPublicAccess')).toMatchObject({
      outcome: 'confirmed',
      observed: true,
      closes: true,
      key: verdictKey('remediated', ACCOUNT, 'allowBlobPublicAccess', true, 0),
    });
  });
});

describe('records once per episode', () => {
  test('an alert already recorded for the same value is not recorded again; another value is', () => {
    const recorded = stateWith((s) => withOpen(s, 'allowSharedKeyAccess', 0, { value: 'true', action: 'violation', since: at(-MIN) }));
    expect(outcomeOf(input({ allowSharedKeyAccess: true }, { state: recorded }), 'allowSharedKeyAccess')?.outcome).toBe('alreadyRecorded');
    expect(outcomeOf(input({ allowSharedKeyAccess: null }, { state: recorded }), 'allowSharedKeyAccess')).toMatchObject({ outcome: 'violation', key: verdictKey('violation', ACCOUNT, 'allowSharedKeyAccess', null, 0) });
  });

  test('once it complies the episode closes, and the same deviation later is a new episode with a new key', () => {
    const recorded = stateWith((s) => withOpen(s, 'allowSharedKeyAccess', 0, { value: 'true', action: 'violation', since: at(-MIN) }));
    expect(outcomeOf(input({}, { state: recorded }), 'allowSharedKeyAccess')).toMatchObject({ outcome: 'compliant', closes: true });
    const closed = withClosed(recorded, 'allowSharedKeyAccess', 0);
    expect(outcomeOf(input({ allowSharedKeyAccess: true }, { state: closed }), 'allowSharedKeyAccess')).toMatchObject({ outcome: 'violation', key: verdictKey('violation', ACCOUNT, 'allowSharedKeyAccess', true, 1) });
  });

  test('keys differ by resource (any case), setting, value and episode only', () => {
    expect(verdictKey('remediated', ACCOUNT.toUpperCase(), 'allowBlobPublicAccess', true, 2)).toBe(verdictKey('remediated', ACCOUNT, 'allowBlobPublicAccess', true, 2));
    expect(new Set([verdictKey('remediated', ACCOUNT, 'a', true, 0), verdictKey('remediated', ACCOUNT, 'a', true, 1), verdictKey('remediated', ACCOUNT, 'a', null, 0), verdictKey('remediated', ACCOUNT, 'b', true, 0)]).size).toBe(4);
  });
});

describe('approved exceptions', () => {
  const exception = (allowedValue: string | boolean, startsAt: string, expiresAt: string) =>
    stateWith((s) => withException(s, { id: 'x1', requestId: 'r1', property: 'allowSharedKeyAccess', allowedValue, startsAt, expiresAt, requester: { id: 'a', name: 'alice' }, compensatingControl: 'keys rotated daily' }));

  test('while in force, exactly its value is allowed', () => {
    expect(outcomeOf(input({ allowSharedKeyAccess: true }, { state: exception(true, at(-MIN), at(MIN)) }), 'allowSharedKeyAccess')).toMatchObject({ outcome: 'excepted', exceptionId: 'x1' });
    // null means "allowed" for shared keys: the exception covers it too.
    expect(outcomeOf(input({ allowSharedKeyAccess: null }, { state: exception(true, at(-MIN), at(MIN)) }), 'allowSharedKeyAccess')?.outcome).toBe('excepted');
  });

  test('before it starts or once it has ended, the guardrail applies', () => {
    expect(outcomeOf(input({ allowSharedKeyAccess: true }, { state: exception(true, at(MIN), at(2 * MIN)) }), 'allowSharedKeyAccess')?.outcome).toBe('violation');
    expect(outcomeOf(input({ allowSharedKeyAccess: true }, { state: exception(true, at(-2 * MIN), at(-MIN)) }), 'allowSharedKeyAccess')?.outcome).toBe('violation');
  });

  test('the state keeps the next end for the timer and drops exceptions that ended', () => {
    const s = exception(true, at(-2 * MIN), at(-MIN));
    expect(s.nextExceptionEnd).toBe(at(-MIN));
    const { state, ended } = withoutEndedExceptions(s, NOW);
    expect(ended.map((e) => e.id)).toEqual(['x1']);
    expect(state.exceptions).toEqual([]);
    expect(state.nextExceptionEnd).toBeUndefined();
    expect(withoutEndedExceptions(exception(true, at(-MIN), at(MIN)), NOW).ended).toEqual([]);
  });
});

describe('state transitions ignore a stale episode', () => {
  test('withOpen, withClosed and withContested leave a document whose episode moved on unchanged', () => {
    const moved = withClosed(emptyState(ACCOUNT), 'minimumTlsVersion', 0, at(0));
    expect(withOpen(moved, 'minimumTlsVersion', 0, { value: '"TLS1_0"', action: 'remediate', since: at(0) })).toBe(moved);
    expect(withClosed(moved, 'minimumTlsVersion', 0, at(0))).toBe(moved);
    expect(withContested(moved, 'minimumTlsVersion', 0, at(MIN))).toBe(moved);
    expect(moved.properties['minimumTlsVersion']).toMatchObject({ episode: 1, remediations: [at(0)] });
  });
});
