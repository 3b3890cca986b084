/**
 * A minimal Bot Framework connector (what the bot's ConnectorClient talks to under the
 * activity's serviceUrl): create conversations, send, reply, update and delete activities.
 * Every outbound operation is recorded so tests can see what each person was shown.
 */
import { z } from 'zod';
import { isGuid } from '../../../shared/domain/armIds';
import { ok, SimHttpError, type SimReply, type SimRequest } from '../http';
import type { SimState } from '../state';
import type { Conversation, TeamsMember, TeamsOperation } from './store';

const memberSchema = z.object({ id: z.string().min(1, 'each member needs an id'), name: z.string().optional(), aadObjectId: z.string().optional() }).passthrough();

const createConversationSchema = z
  .object({
    isGroup: z.boolean().optional(),
    bot: z.object({ id: z.string() }).passthrough().optional(),
    members: z.array(memberSchema).optional(),
    tenantId: z.string().optional(),
    channelData: z.object({ tenant: z.object({ id: z.string() }).passthrough().optional() }).passthrough().optional(),
    activity: z.record(z.string(), z.unknown()).optional(),
    topicName: z.string().optional(),
  })
  .passthrough();

const activitySchema = z.record(z.string(), z.unknown(), { error: 'the body must be an activity object' });

function badArgument(message: string): SimHttpError {
  return new SimHttpError(400, 'BadArgument', message);
}

/** The Entra object id behind a member: `aadObjectId`, our `29:sim-{oid}` ids, or a bare GUID. */
export function objectIdOfMember(member: { id?: unknown; aadObjectId?: unknown } | undefined): string | undefined {
  if (!member) return undefined;
  if (typeof member.aadObjectId === 'string' && member.aadObjectId.length > 0) return member.aadObjectId.toLowerCase();
  if (typeof member.id !== 'string') return undefined;
  const m = /^29:sim-(.+)$/i.exec(member.id);
  if (m?.[1]) return m[1].toLowerCase();
  return isGuid(member.id) ? member.id.toLowerCase() : undefined;
}

function decode<T>(req: SimRequest, schema: z.ZodType<T>): T {
  if (req.bodyInvalid) throw new SimHttpError(400, 'BadSyntax', 'The body is not JSON.');
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badArgument(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function handleConnector(req: SimRequest, state: SimState): SimReply {
  // path: /connector/v3/conversations[/{cid}[/activities[/{aid}] | /members[/{uid}]]]
  const segments = req.path.split('/').filter((s) => s.length > 0).slice(1);
  if (segments[0]?.toLowerCase() !== 'v3' || segments[1]?.toLowerCase() !== 'conversations') {
    throw new SimHttpError(404, 'NotFound', `The simulated connector has no route '${req.path}'.`);
  }
  const [, , conversationId, sub, itemId, ...rest] = segments;
  if (rest.length > 0) throw new SimHttpError(404, 'NotFound', `The simulated connector has no route '${req.path}'.`);
  const teams = state.teams;

  if (!conversationId) {
    if (req.method === 'POST') return createConversation(req, state);
    if (req.method === 'GET') return ok({ conversations: [...teams.conversations.values()].map((c) => ({ id: c.id, members: c.members })) });
    throw methodNotAllowed(req);
  }
  const conversation = teams.conversations.get(conversationId);
  if (!conversation) throw new SimHttpError(404, 'ConversationNotFound', `Conversation '${conversationId}' not found: create it first, or use the serviceUrl and conversation of an incoming activity.`);

  const subKey = sub?.toLowerCase();
  if (subKey === 'members') {
    if (req.method !== 'GET') throw methodNotAllowed(req);
    if (!itemId) return ok(conversation.members);
    const member = conversation.members.find((m) => m.id === itemId || objectIdOfMember(m) === itemId.toLowerCase());
    if (!member) throw new SimHttpError(404, 'MemberNotFound', `Member '${itemId}' is not in conversation '${conversationId}'.`);
    return ok(member);
  }
  if (subKey !== 'activities') throw new SimHttpError(404, 'NotFound', `The simulated connector has no route '${req.path}'.`);

  if (!itemId) {
    if (req.method !== 'POST') throw methodNotAllowed(req);
    return ok(record(state, conversation, 'send', teams.nextActivityId(), decode(req, activitySchema)), 201);
  }
  switch (req.method) {
    case 'POST':
      return ok(record(state, conversation, 'send', teams.nextActivityId(), decode(req, activitySchema), itemId), 201);
    case 'PUT': {
      const activity = decode(req, activitySchema);
      requireActivity(state, conversation, itemId);
      return ok(record(state, conversation, 'update', itemId, activity));
    }
    case 'DELETE':
      requireActivity(state, conversation, itemId);
      record(state, conversation, 'delete', itemId, null);
      return { status: 200 };
    default:
      throw methodNotAllowed(req);
  }
}

function requireActivity(state: SimState, conversation: Conversation, activityId: string): void {
  if (!state.teams.activity(conversation.id, activityId)) {
    throw new SimHttpError(404, 'ActivityNotFound', `Activity '${activityId}' does not exist in conversation '${conversation.id}' (or was deleted).`);
  }
}

function record(state: SimState, conversation: Conversation, operation: TeamsOperation, activityId: string, activity: Record<string, unknown> | null, replyToId?: string): { id: string } {
  const recipient = activity?.recipient as { id?: unknown; aadObjectId?: unknown } | undefined;
  const recipientObjectId =
    objectIdOfMember(recipient) ??
    (conversation.conversationType === 'personal' ? objectIdOfMember(conversation.members[0]) : undefined) ??
    null;
  state.teams.record({
    conversationId: conversation.id,
    recipientObjectId,
    activityId,
    operation,
    ...(replyToId ? { replyToId } : {}),
    activity: activity ? { ...activity, id: activityId } : null,
  });
  return { id: activityId };
}

function createConversation(req: SimRequest, state: SimState): SimReply {
  const body = decode(req, createConversationSchema);
  const members = body.members ?? [];
  if (members.length === 0) throw badArgument('members: a conversation needs at least one member.');
  const tenantId = body.tenantId ?? body.channelData?.tenant?.id ?? state.tenantId;
  const toMember = (m: z.infer<typeof memberSchema>): TeamsMember => {
    const oid = objectIdOfMember(m);
    return oid && state.directory.user(oid) ? state.teamsMemberOf(oid) : (m as TeamsMember);
  };
  const conversation =
    body.isGroup || members.length > 1 ? state.teams.groupConversation(members.map(toMember), tenantId) : state.teams.personalConversation(toMember(members[0] as z.infer<typeof memberSchema>), tenantId);
  const answer: Record<string, unknown> = { id: conversation.id, serviceUrl: `${req.origin}/connector/` };
  if (body.activity) answer.activityId = record(state, conversation, 'send', state.teams.nextActivityId(), body.activity).id;
  return ok(answer, 201);
}

function methodNotAllowed(req: SimRequest): SimHttpError {
  return new SimHttpError(405, 'MethodNotAllowed', `${req.method} is not supported on '${req.path}'.`);
}
