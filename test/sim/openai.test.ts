/**
 * The simulator's Azure OpenAI-compatible chat-completions endpoint through the real `openai`
 * AzureOpenAI client (HTTPS, the local CA, an Entra token for Cognitive Services), and the app's
 * advisor adapter over it.
 */
import { APIError, AzureOpenAI } from 'openai';
import { Agent } from 'undici';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import { generateLocalTls } from '../../dev/tls';
import { PEOPLE, RG } from '../../dev/tenant';
import { AzureOpenAiAdvisor } from '../../shared/adapters/openai/azureOpenAiAdvisor';
import { TransientError } from '../../shared/domain/errors';
import { buildAdvicePrompt, parseAdvice } from '../../shared/domain/suggestions/advice';

let sim: Simulator;
let cert: string;
beforeAll(async () => {
  const tls = await generateLocalTls();
  cert = tls.cert;
  sim = await startSimulator({ tls });
});
afterAll(async () => {
  await sim?.stop();
});

const prompt = (need: string) =>
  buildAdvicePrompt({ need, scope: RG.weights, roles: [{ guid: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', roleName: 'Storage Blob Data Reader' }, { guid: '4633458b-17de-408a-b874-0445c86b69e6', roleName: 'Key Vault Secrets User' }] });

function rawClient(token: () => Promise<string>): AzureOpenAI {
  return new AzureOpenAI({
    endpoint: sim.url,
    deployment: 'gpt-4o-sim',
    apiVersion: '2024-10-21',
    azureADTokenProvider: token,
    maxRetries: 0,
    fetchOptions: { dispatcher: new Agent({ connect: { ca: cert } }) } as never,
  });
}

it('answers the AccessNeed schema from its keyword table, narrowing the scope to a resource the need names', async () => {
  const advisor = new AzureOpenAiAdvisor({ endpoint: sim.url, deployment: 'gpt-4o-sim', credential: simCredential(PEOPLE.accessManager), ca: cert });
  const answer = await advisor.complete(prompt('read the eval checkpoints in stweights'));
  expect(answer).toMatchObject({ finishReason: 'stop', model: 'gpt-4o-2024-08-06', refusal: null });
  const parsed = parseAdvice(answer.content!);
  expect(parsed).toEqual({
    ok: true,
    advice: {
      actions: [],
      dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
      roleIds: ['2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'],
      scope: `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints`,
      explanation: 'Read as: read blobs.',
    },
  });
  expect(sim.state.stats.openaiRequests).toBeGreaterThan(0);
});

it('a server failure reaches the app as a transient error (after the client retries once)', async () => {
  const advisor = new AzureOpenAiAdvisor({ endpoint: sim.url, deployment: 'gpt-4o-sim', credential: simCredential(PEOPLE.accessManager), ca: cert });
  await expect(advisor.complete(prompt('read blobs [sim:fail]'))).rejects.toBeInstanceOf(TransientError);
});

it('refuses a token for another audience, and a call without credentials, with 401', async () => {
  const armToken = async () => (await simCredential(PEOPLE.accessManager).getToken('https://management.azure.com/.default'))!.token;
  const err = await rawClient(armToken)
    .chat.completions.create({ model: 'gpt-4o-sim', messages: [{ role: 'user', content: 'hi' }] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  expect((err as APIError).status).toBe(401);
  const res = await fetch(`${sim.url}/openai/deployments/gpt-4o-sim/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher: new Agent({ connect: { ca: cert } }),
  } as RequestInit);
  expect(res.status).toBe(401);
});

it('answers 404 for other paths and for a missing api-version, as Azure OpenAI does', async () => {
  const dispatcher = new Agent({ connect: { ca: cert } });
  for (const path of ['/openai/deployments/gpt-4o-sim/embeddingz?api-version=2024-10-21', '/openai/deployments/gpt-4o-sim/chat/completions']) {
    const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'api-key': 'k' }, body: '{}', dispatcher } as RequestInit);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  }
});
