/**
 * Requests that state their need, end to end: the requested role measured against the need with
 * the catalog read from the simulated ARM, the verdict stored on the request and shown on the
 * approvers' Teams cards, and the policy option `narrowest: require` (one more approval for a
 * role broader than the narrowest requestable one; a need is then required).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStack } from '../../dev/localStack';
import { RG } from '../../dev/tenant';
import { teamsActivities } from '../teams/teamsHelpers';
import { as, copyPolicies, startTestStack, USERS, waitFor, type RequestDto } from './helpers';

const CONTAINER = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints`;
const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
const BLOB_WRITE = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write';

function ask(stack: LocalStack, role: string, need?: unknown) {
  return as(stack, USERS.alice).post<RequestDto>('/api/requests', {
    scope: CONTAINER,
    role,
    duration: 'PT1H',
    justification: 'evaluate the release candidate checkpoints',
    ...(need === undefined ? {} : { need }),
  });
}

describe('advise (the seed policies)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a broader role than needed is flagged on the request and on every approver card, with what else it grants', async () => {
    const res = await ask(stack, 'Storage Blob Data Contributor', { text: 'read the eval checkpoints', dataActions: [BLOB_READ] });
    expect(res.status).toBe(201);
    expect(res.body.requiredApprovals).toBe(3);
    expect(res.body.need).toEqual({ text: 'read the eval checkpoints', actions: [], dataActions: [BLOB_READ] });
    expect(res.body.needCheck).toMatchObject({
      scope: CONTAINER,
      requested: { roleName: 'Storage Blob Data Contributor', covers: true, exact: false },
      narrowest: { roleName: 'Storage Blob Data Reader', requestable: true },
      narrowestRequestable: { roleName: 'Storage Blob Data Reader' },
      broaderThanNeeded: true,
      broaderThanRequestable: true,
    });
    expect(res.body.needCheck!.requested.extra.map((e) => e.permission)).toEqual(expect.arrayContaining([BLOB_WRITE, 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete']));
    expect(res.body.extraApprovalReason).toBeUndefined();

    const card = await waitFor(async () => (await teamsActivities(stack, { recipient: USERS.bob.id })).find((a) => JSON.stringify(a.activity ?? {}).includes(res.body.id)), 'the card to bob');
    const text = JSON.stringify(card.activity);
    expect(text).toContain('Broader than needed: Storage Blob Data Reader covers the stated need with less.');
    expect(text).toContain(`data: ${BLOB_WRITE}`);
    expect(text).toContain('read the eval checkpoints');

    const read = await as(stack, USERS.bob).get<RequestDto>(`/api/requests/${res.body.id}`);
    expect(read.body.needCheck?.broaderThanNeeded).toBe(true);
  });

  it('the narrowest role is not flagged; a request without a need is as it always was', async () => {
    const narrow = await ask(stack, 'Storage Blob Data Reader', { dataActions: [BLOB_READ] });
    expect(narrow.status).toBe(201);
    expect(narrow.body.needCheck).toMatchObject({ broaderThanNeeded: false, requested: { covers: true } });
    const plain = await ask(stack, 'Storage Blob Data Reader');
    expect(plain.status).toBe(201);
    expect(plain.body.need).toBeUndefined();
    expect(plain.body.needCheck).toBeUndefined();
  });

  it('a role that does not cover the need is flagged (not refused, under advise); unknown operations are refused', async () => {
    const res = await ask(stack, 'Storage Blob Data Reader', { dataActions: [BLOB_WRITE] });
    expect(res.status).toBe(201);
    expect(res.body.needCheck?.requested).toMatchObject({ covers: false, missing: { actions: [], dataActions: [BLOB_WRITE] } });
    const bad = await ask(stack, 'Storage Blob Data Reader', { dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobz/read'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('UnknownAction');
    expect(bad.body.error?.message).toContain(BLOB_READ);
  });
});

describe('narrowest: require', () => {
  let stack: LocalStack;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const copy = await copyPolicies();
    cleanup = copy.cleanup;
    const file = join(copy.dir, 'model-weights.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}\nnarrowest: require\n`);
    stack = await startTestStack({ policiesDir: copy.dir });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup?.();
  });

  it('a request must state its need as operations', async () => {
    const res = await ask(stack, 'Storage Blob Data Reader', { text: 'read the checkpoints' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('NeedRequired');
  });

  it('a role broader than the narrowest requestable one needs one more approval, and says why', async () => {
    const broad = await ask(stack, 'Storage Blob Data Contributor', { dataActions: [BLOB_READ] });
    expect(broad.status).toBe(201);
    expect(broad.body.requiredApprovals).toBe(4);
    expect(broad.body.extraApprovalReason).toMatch(/Storage Blob Data Contributor is broader than Storage Blob Data Reader/);
    const narrow = await ask(stack, 'Storage Blob Data Reader', { dataActions: [BLOB_READ] });
    expect(narrow.body.requiredApprovals).toBe(2);
    expect(narrow.body.extraApprovalReason).toBeUndefined();
  });

  it('a role that does not cover the need is refused', async () => {
    const res = await ask(stack, 'Storage Blob Data Reader', { dataActions: [BLOB_WRITE] });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('RoleDoesNotCoverNeed');
    expect(res.body.error?.message).toContain('Storage Blob Data Contributor does');
  });
});
