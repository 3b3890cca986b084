/**
 * The need advisor over Azure OpenAI chat completions with the `openai` package's AzureOpenAI
 * client (POST {endpoint}/openai/deployments/{deployment}/chat/completions), authenticated with an
 * Entra token for https://cognitiveservices.azure.com/.default, answering under a strict JSON
 * schema. Locally the simulator serves the same endpoint.
 */
import type { TokenCredential } from '@azure/core-auth';
import { getBearerTokenProvider } from '@azure/identity';
import { APIConnectionError, APIError, AzureOpenAI, type ClientOptions } from 'openai';
import { Agent as UndiciAgent } from 'undici';
import { InternalError, TransientError } from '../../domain/errors';
import type { AdvicePrompt, AdvisorAnswer, NeedAdvisor } from '../../ports/advisor';

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** The GA data-plane version with structured outputs (json_schema) the client sends. */
export const DEFAULT_OPENAI_API_VERSION = '2024-10-21';
/** A suggestion waits at most this long for the model; the engine does not need it. */
const TIMEOUT_MS = 20_000;

export interface AzureOpenAiOptions {
  endpoint: string;
  deployment: string;
  apiVersion?: string;
  credential: TokenCredential;
  /** PEM certificate to trust (the local simulator's). */
  ca?: string;
}

export class AzureOpenAiAdvisor implements NeedAdvisor {
  readonly deployment: string;
  private readonly client: AzureOpenAI;

  constructor(options: AzureOpenAiOptions) {
    this.deployment = options.deployment;
    this.client = new AzureOpenAI({
      endpoint: options.endpoint,
      deployment: options.deployment,
      apiVersion: options.apiVersion ?? DEFAULT_OPENAI_API_VERSION,
      azureADTokenProvider: getBearerTokenProvider(options.credential, COGNITIVE_SERVICES_SCOPE),
      maxRetries: 1,
      timeout: TIMEOUT_MS,
      // Node's fetch ignores `agent`: trust for a local CA travels through an undici dispatcher.
      ...(options.ca ? { fetchOptions: { dispatcher: new UndiciAgent({ connect: { ca: options.ca } }) } as ClientOptions['fetchOptions'] } : {}),
    });
  }

  async complete(prompt: AdvicePrompt): Promise<AdvisorAnswer> {
    try {
      const response = await this.client.chat.completions.create({
        model: this.deployment,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        response_format: { type: 'json_schema', json_schema: { name: prompt.schemaName, strict: true, schema: prompt.schema } },
        temperature: 0,
      });
      const choice = response.choices[0];
      return {
        content: choice?.message.content ?? null,
        refusal: choice?.message.refusal ?? null,
        ...(choice?.finish_reason ? { finishReason: choice.finish_reason } : {}),
        model: response.model,
      };
    } catch (err) {
      throw toAdvisorError(err, this.deployment);
    }
  }
}

function toAdvisorError(err: unknown, deployment: string): Error {
  if (err instanceof APIConnectionError) return new TransientError(`Azure OpenAI (${deployment}) did not answer: ${err.message}`, 'ModelUnavailable');
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    if (status === 408 || status === 429 || status >= 500) return new TransientError(`Azure OpenAI (${deployment}) answered ${status}: ${err.message}`, status === 429 ? 'ModelThrottled' : 'ModelUnavailable');
    return new InternalError(`Azure OpenAI (${deployment}) refused the call with ${status}: ${err.message}. Check AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT and the app identity's role on the account (Cognitive Services OpenAI User).`, 'ModelRefused');
  }
  return err instanceof Error ? err : new Error(String(err));
}
