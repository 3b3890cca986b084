/**
 * The port of the language model that turns a free-text need into operations (Azure OpenAI in
 * production, the simulator's chat-completions endpoint locally). It answers with text only; the
 * use case decodes and re-checks every word of it. Absent when no endpoint is configured.
 */
import type { AdvicePrompt } from '../domain/suggestions/advice';

export type { AdvicePrompt };

export interface AdvisorAnswer {
  /** The message content (JSON text under the strict schema), or null when the model refused. */
  content: string | null;
  refusal?: string | null;
  /** `stop` when the model finished; `length`, `content_filter`, ... otherwise. */
  finishReason?: string;
  /** The model that answered, as the service names it. */
  model?: string;
}

export interface NeedAdvisor {
  /** The deployment asked (recorded in audit). */
  readonly deployment: string;
  /** One chat completion with a strict JSON-schema response format. Transient failures throw TransientError. */
  complete(prompt: AdvicePrompt): Promise<AdvisorAnswer>;
}
