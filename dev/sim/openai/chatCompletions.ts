/**
 * An Azure OpenAI–compatible chat-completions endpoint for the local tenant, so the real `openai`
 * AzureOpenAI client runs against it: `POST /openai/deployments/{deployment}/chat/completions
 * ?api-version=…`, a bearer token for https://cognitiveservices.azure.com (or an `api-key`), the
 * request and response shapes of the real service. It answers the AccessNeed schema
 * (shared/domain/suggestions/advice.ts) deterministically from a small keyword table; resource
 * names in the need that exist under the given scope narrow the scope. Markers for tests:
 * `[sim:refuse]`, `[sim:invalid]`, `[sim:fail]`, `[sim:misspell]`, `[sim:outside]`.
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { decodeSimToken } from '../credential';
import { header, queryParam, SimHttpError, type SimReply, type SimRequest } from '../http';
import type { SimState } from '../state';

const COMPLETIONS = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/i;
const AUDIENCE = 'https://cognitiveservices.azure.com';
/** The model the simulated deployments run, as the service names it in answers. */
export const SIM_OPENAI_MODEL = 'gpt-4o-2024-08-06';

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';

interface Rule {
  /** Every expression must match the lower-cased need. */
  when: RegExp[];
  reading: string;
  actions?: string[];
  dataActions?: string[];
  roles: string[];
}

/** The keyword table: every matching rule adds its operations and candidate roles. */
const RULES: readonly Rule[] = [
  {
    when: [/\b(read|download|list|copy|load|evaluate|fetch|get)\b/, /\b(blobs?|checkpoints?|weights?|containers?|datasets?|files in)\b/],
    reading: 'read blobs',
    dataActions: [`${BLOB}/read`],
    roles: ['Storage Blob Data Reader'],
  },
  {
    when: [/\b(write|upload|save|overwrite|put)\b/, /\b(blobs?|checkpoints?|weights?|containers?|datasets?|files)\b/],
    reading: 'write blobs',
    dataActions: [`${BLOB}/write`, `${BLOB}/add/action`],
    roles: ['Storage Blob Data Contributor'],
  },
  { when: [/\b(delete|remove)\b/, /\b(blobs?|checkpoints?|files)\b/], reading: 'delete blobs', dataActions: [`${BLOB}/delete`], roles: ['Storage Blob Data Contributor'] },
  {
    when: [/\bsecrets?\b/, /\b(read|get|use|fetch|need)\b/],
    reading: 'read secret values',
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
    roles: ['Key Vault Secrets User'],
  },
  {
    when: [/\b(openai|gpt|chat|completions?|llm)\b/],
    reading: 'call chat completions of an OpenAI deployment',
    dataActions: ['Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action'],
    roles: ['Cognitive Services OpenAI User'],
  },
  {
    when: [/\b(start|restart|reboot)\b/, /\b(vms?|virtual machines?)\b/],
    reading: 'start and restart virtual machines',
    actions: ['Microsoft.Compute/virtualMachines/start/action', 'Microsoft.Compute/virtualMachines/restart/action'],
    roles: ['Virtual Machine Contributor'],
  },
  { when: [/\b(logs?|log analytics)\b/, /\b(query|search|read)\b/], reading: 'query Log Analytics', actions: ['Microsoft.OperationalInsights/workspaces/query/read'], roles: ['Log Analytics Reader'] },
  { when: [/\bmetrics?\b/], reading: 'read metrics', actions: ['Microsoft.Insights/metrics/read'], roles: ['Monitoring Reader'] },
  { when: [/\bpull\b/, /\b(images?|registry|acr)\b/], reading: 'pull container images', actions: ['Microsoft.ContainerRegistry/registries/pull/read'], roles: ['AcrPull'] },
  {
    when: [/\bqueues?\b/, /\b(read|peek|receive)\b/],
    reading: 'read queue messages',
    dataActions: ['Microsoft.Storage/storageAccounts/queueServices/queues/messages/read'],
    roles: ['Storage Queue Data Reader'],
  },
];

function openAiError(status: number, code: string, message: string): SimHttpError {
  return new SimHttpError(status, code, message);
}

function authorised(req: SimRequest): boolean {
  const apiKey = header(req, 'api-key');
  if (apiKey && apiKey.trim().length > 0) return true;
  const auth = header(req, 'authorization');
  const token = auth?.match(/^Bearer\s+(.+)$/i)?.[1];
  const claims = token ? decodeSimToken(token) : undefined;
  return claims !== undefined && claims.aud === AUDIENCE && claims.exp * 1000 > Date.now();
}

interface ChatMessage {
  role: string;
  content: string;
}

function messagesOf(body: unknown): ChatMessage[] {
  const raw = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(raw) || raw.length === 0) throw openAiError(400, 'BadRequest', "'messages' is a required property and must be a non-empty array.");
  return raw.map((m) => {
    const r = m as { role?: unknown; content?: unknown };
    if (typeof r.role !== 'string' || typeof r.content !== 'string') throw openAiError(400, 'BadRequest', 'Each message needs a string role and string content.');
    return { role: r.role, content: r.content };
  });
}

/** The scope, the need and the offered roles, read back from the user message the app wrote. */
function readPrompt(user: string): { scope: string; need: string; roles: Map<string, string> } {
  const lines = user.split('\n');
  const scope = lines.find((l) => l.startsWith('Scope: '))?.slice(7).trim() ?? '/';
  const need = lines.find((l) => l.startsWith('Need: '))?.slice(6).trim() ?? user;
  const roles = new Map<string, string>();
  for (const l of lines) {
    const m = /^([0-9a-f-]{36}): (.+)$/i.exec(l.trim());
    if (m) roles.set(m[2]!.toLowerCase(), m[1]!.toLowerCase());
  }
  return { scope, need, roles };
}

/** The deepest existing resource under `scope` whose name the need mentions. */
function narrowedScope(state: SimState, scope: string, need: string): string | null {
  const words = new Set(need.toLowerCase().match(/[a-z0-9][a-z0-9-]*/g) ?? []);
  const under = scopeKey(scope);
  let best: string | null = null;
  for (const r of state.resources.values()) {
    const id = scopeKey(r.id);
    if (!id.startsWith(`${under}/`) || !words.has(r.name.toLowerCase())) continue;
    if (!best || id.length > scopeKey(best).length) best = normalizeScope(r.id);
  }
  return best;
}

function answerFor(state: SimState, user: string): { content: string | null; refusal: string | null } {
  const { scope, need, roles } = readPrompt(user);
  const text = need.toLowerCase();
  if (text.includes('[sim:refuse]')) return { content: null, refusal: "I'm sorry, I can't help with that request." };
  if (text.includes('[sim:invalid]')) return { content: 'Storage Blob Data Reader, probably.', refusal: null };
  const matched = RULES.filter((r) => r.when.every((re) => re.test(text)));
  const actions = [...new Set(matched.flatMap((r) => r.actions ?? []))];
  const dataActions = [...new Set(matched.flatMap((r) => r.dataActions ?? []))];
  if (text.includes('[sim:misspell]')) dataActions.push('Microsoft.Storage/storageAccounts/blobServices/containers/blob/read');
  const roleIds = [...new Set(matched.flatMap((r) => r.roles).map((name) => roles.get(name.toLowerCase())).filter((id): id is string => id !== undefined))].slice(0, 3);
  const narrowed = text.includes('[sim:outside]') ? '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sandbox' : narrowedScope(state, scope, need);
  const answer = {
    actions,
    dataActions,
    roleIds,
    scope: narrowed,
    explanation: matched.length > 0 ? `Read as: ${matched.map((r) => r.reading).join('; ')}.` : 'The need names no Azure operation I recognise.',
  };
  return { content: JSON.stringify(answer), refusal: null };
}

let completions = 0;

export function handleOpenAi(req: SimRequest, state: SimState): SimReply {
  const m = COMPLETIONS.exec(req.path);
  if (req.method !== 'POST' || !m) throw openAiError(404, '404', 'Resource not found');
  if (!queryParam(req.query, 'api-version')) throw openAiError(404, '404', 'Resource not found');
  if (!authorised(req)) {
    throw openAiError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
  }
  if (req.bodyInvalid) throw openAiError(400, 'BadRequest', 'The request body is not valid JSON.');
  const messages = messagesOf(req.body);
  const user = [...messages].reverse().find((msg) => msg.role === 'user')?.content ?? '';
  if (user.toLowerCase().includes('[sim:fail]')) throw openAiError(500, 'InternalServerError', 'The server had an error while processing your request (simulated).');
  const format = (req.body as { response_format?: { type?: string; json_schema?: { name?: string; strict?: boolean } } }).response_format;
  let message: { role: 'assistant'; content: string | null; refusal: string | null };
  if (format?.type === 'json_schema') {
    if (format.json_schema?.name !== 'AccessNeed') throw openAiError(400, 'BadRequest', `The simulated deployment answers only the AccessNeed schema (got '${format.json_schema?.name}').`);
    message = { role: 'assistant', ...answerFor(state, user) };
  } else {
    message = { role: 'assistant', content: 'The simulated deployment answers structured AccessNeed requests only.', refusal: null };
  }
  completions += 1;
  const promptTokens = Math.ceil(messages.reduce((n, msg) => n + msg.content.length, 0) / 4);
  const completionTokens = Math.ceil((message.content ?? message.refusal ?? '').length / 4);
  return {
    status: 200,
    headers: { 'apim-request-id': `sim-${completions}` },
    body: {
      id: `chatcmpl-sim-${completions}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: SIM_OPENAI_MODEL,
      choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'fp_sim',
    },
  };
}
