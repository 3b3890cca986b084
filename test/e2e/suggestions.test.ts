/**
 * Role suggestions end to end: the API over the local stack, the catalog read from the simulated
 * ARM through the real SDK client, the free-text need read by the real `openai` AzureOpenAI client
 * from the simulator's chat-completions endpoint, and the `suggestion.made` audit record.
 */
import type { LocalStack } from '../../dev/localStack';
import { RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import type { AuditRecord } from '../../shared/domain/audit/record';
import type { SuggestionResult } from '../../shared/usecases/suggestions';
import { as, startTestStack, USERS } from './helpers';

const ACCOUNT = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/checkpoints`;
const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
const SBDR = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function suggestionAudit(): Promise<AuditRecord[]> {
  const { resources } = await stack.containers.audit.items.query<AuditRecord>({ query: "SELECT * FROM c WHERE c.action = 'suggestion.made'" }).fetchAll();
  return resources;
}

describe('POST /api/suggestions', () => {
  it('reading blobs in a container: Storage Blob Data Reader at the container, requestable under model-weights, from the catalog alone', async () => {
    const res = await as(stack, USERS.alice).post<SuggestionResult>('/api/suggestions', { scope: CONTAINER, dataActions: [BLOB_READ] });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('catalog');
    expect(res.body.requiredDataActions).toEqual([BLOB_READ]);
    const first = res.body.items[0]!;
    expect(first).toMatchObject({ roleName: 'Storage Blob Data Reader', scope: CONTAINER, requestable: true, policyId: 'model-weights', exact: false });
    expect(first.roleDefinitionId).toBe(`${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${SBDR}`);
    // The user-delegation key acts on the blob service, above the container: listed, but not effective there.
    expect(first.extra).toEqual(
      expect.arrayContaining([expect.objectContaining({ permission: 'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action', effective: false })]),
    );
    expect(res.body.items.map((i) => i.roleName)).toContain('Storage Blob Data Contributor');
    expect(res.body.items.findIndex((i) => i.roleName === 'Storage Blob Data Contributor')).toBeGreaterThan(0);
  });

  it('a need in words is read by the model, re-checked, narrowed to the existing container, and recorded', async () => {
    const before = (await suggestionAudit()).length;
    const res = await as(stack, USERS.alice).post<SuggestionResult>('/api/suggestions', { scope: RG.weights, need: 'read the eval checkpoints in stweights' });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('model+catalog');
    expect(res.body.model).toMatchObject({ deployment: 'gpt-4o-sim', dataActions: [BLOB_READ], roleIds: [SBDR], scope: CONTAINER, dropped: [] });
    expect(res.body.scope).toBe(CONTAINER);
    expect(res.body.items[0]).toMatchObject({ roleName: 'Storage Blob Data Reader', fromModel: true, requestable: true });
    const records = await suggestionAudit();
    expect(records.length).toBe(before + 1);
    const record = records.find((r) => r.details?.['result'] === 'answered' && r.actor.id === USERS.alice.id)!;
    expect(record).toMatchObject({ scope: RG.weights, details: { deployment: 'gpt-4o-sim', model: 'gpt-4o-2024-08-06', result: 'answered' } });
    expect(record.details?.['promptSha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(record.details?.['answerSha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(record)).not.toContain('eval checkpoints');
  });

  it('unknown and misspelt operations: 400 with the nearest known names', async () => {
    const res = await as(stack, USERS.alice).post('/api/suggestions', { scope: RG.weights, actions: ['Microsoft.Storage/storageAcounts/listKeys/action'], dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'] });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('UnknownAction');
    expect(res.body.error?.message).toContain('did you mean "Microsoft.Storage/storageAccounts/listKeys/action"');
    expect(res.body.error?.message).toContain('is a control-plane action: send it in actions');
  });

  it('nothing to go on: 400', async () => {
    const res = await as(stack, USERS.alice).post('/api/suggestions', { scope: RG.weights });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('NothingToGoOn');
  });
});
