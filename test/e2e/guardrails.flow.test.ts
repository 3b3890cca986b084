/**
 * Guardrails end to end through the simulated tenant: an out-of-band PATCH of a guarded storage
 * account is read back from ARM, set back with the real management SDK, and recorded with who
 * made it; our own PATCH's event ends in "compliant".
 */
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE } from '../../dev/tenant';
import { closeSimAgents, startEnforcementStack, until } from './enforcementHelpers';
import { closeGuardrailAgents, guardrailRecords, patchOutOfBand, propertiesOf, settleAll, STWEIGHTS } from './guardrailHelpers';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startEnforcementStack();
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
  await closeGuardrailAgents();
});

describe('a guarded storage account', () => {
  it('dave opens stweights to anonymous blob access: set back, recorded with dave as actor', async () => {
    await patchOutOfBand(stack, STWEIGHTS, { allowBlobPublicAccess: true });
    await until(() => propertiesOf(stack, STWEIGHTS)['allowBlobPublicAccess'] === false, 'allowBlobPublicAccess to be false again', 10_000, 5);
    await settleAll(stack);
    const records = await guardrailRecords(stack, STWEIGHTS);
    expect(records.map((r) => r.action)).toEqual(['guardrail.remediated']);
    expect(records[0]).toMatchObject({ actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, policyId: 'model-weights', mode: 'enforce', details: { property: 'allowBlobPublicAccess', observed: true, required: false } });
  });
});
