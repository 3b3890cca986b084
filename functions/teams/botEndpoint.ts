/**
 * The thin adapter between a Functions HttpRequest and the Agents SDK, which expects an
 * express-like request and response: the SDK's JWT middleware decides who may talk to the bot,
 * the body is decoded here (an empty or malformed one is a 400, not a crash), and
 * `CloudAdapter.process` runs the turn into a buffered response that becomes the HTTP answer.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { Activity } from '@microsoft/agents-activity';
import type { Request as BotRequest, WebResponse } from '@microsoft/agents-hosting';
import { z } from 'zod';
import type { App } from '../../shared/compositionRoot';
import { UnauthenticatedError, ValidationError } from '../../shared/domain/errors';
import { json, readJsonBody } from '../http/respond';
import { ApprovalBot } from './approvalBot';

/** Activities carry cards and entities; 256 KiB is the Bot Framework's own message limit. */
const MAX_ACTIVITY_BYTES = 256 * 1024;

const activityEnvelope = z.looseObject({
  type: z.string({ error: 'type is required (message, invoke, installationUpdate, ...)' }).min(1, 'type is required'),
  conversation: z.looseObject({ id: z.string({ error: 'conversation.id is required' }).min(1, 'conversation.id is required') }, { error: 'conversation is required' }),
});

/** Collects what the SDK writes, to hand it back as an HttpResponseInit. */
export class BufferedWebResponse implements WebResponse {
  statusCode = 200;
  body: unknown;
  readonly headers: Record<string, string> = {};
  headersSent = false;
  writableEnded = false;

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  send(body?: unknown): this {
    this.body = body;
    return this;
  }

  end(): this {
    this.writableEnded = true;
    return this;
  }

  toHttpResponse(): HttpResponseInit {
    if (this.body === undefined || this.body === null) return { status: this.statusCode, headers: this.headers };
    if (typeof this.body === 'string') return { status: this.statusCode, body: this.body, headers: this.headers };
    return json(this.statusCode, this.body, this.headers);
  }
}

function headersOf(request: HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return headers;
}

/** The SDK answers refusals with `{"jwt-auth-error": ...}`: say the same in the API's error shape. */
function refusal(response: BufferedWebResponse): HttpResponseInit {
  const detail = (response.body as { 'jwt-auth-error'?: unknown } | undefined)?.['jwt-auth-error'];
  const why = typeof detail === 'string' ? detail : 'no valid token';
  if (response.statusCode === 401) {
    return json(401, { error: { code: 'Unauthenticated', message: `This endpoint only accepts activities from the Bot Framework carrying a valid token for this bot (${why}).` } });
  }
  return json(response.statusCode, { error: { code: 'Refused', message: why } });
}

export async function answerBotActivity(request: HttpRequest, app: App): Promise<HttpResponseInit> {
  const runtime = app.teams;
  if (!runtime) {
    throw new UnauthenticatedError('The Teams bot is not configured here: set BOT_APP_ID (the Azure Bot app id) so activities can be authenticated.', 'BotNotConfigured');
  }
  const botRequest: BotRequest = { method: request.method, headers: headersOf(request) };
  const response = new BufferedWebResponse();
  let authorized = false;
  await runtime.adapter.authorizeRequest(botRequest, response, () => {
    authorized = true;
  });
  if (!authorized) return refusal(response);
  // Defence in depth: the SDK's anonymous path (no app id, not production) must also be one we allow.
  if (!runtime.allowsAnonymous && typeof botRequest.user?.aud !== 'string') {
    return json(401, { error: { code: 'Unauthenticated', message: 'Anonymous bot activities are only accepted locally without BOT_APP_ID.' } });
  }

  const body = await readJsonBody(request, activityEnvelope, { maxBytes: MAX_ACTIVITY_BYTES });
  try {
    Activity.fromObject(body);
  } catch (err) {
    throw new ValidationError(`The body is not a Bot Framework activity: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}.`, 'InvalidActivity');
  }
  botRequest.body = body;
  const bot = new ApprovalBot(app.deps);
  await runtime.adapter.process(botRequest, response, (context) => bot.run(context));
  return response.toHttpResponse();
}
