/**
 * What the simulated Teams connector remembers: conversations (one personal chat per user,
 * like Teams after the app is installed), the current content of every activity, and a log
 * of every outbound send, update and delete that tests read at GET /sim/teams/activities.
 */
import { randomUUID } from 'node:crypto';

export interface TeamsMember {
  id: string;
  name?: string;
  aadObjectId?: string;
  [extra: string]: unknown;
}

export interface Conversation {
  id: string;
  conversationType: 'personal' | 'groupChat';
  tenantId: string;
  members: TeamsMember[];
  createdAt: string;
}

export type TeamsOperation = 'send' | 'update' | 'delete';

export interface TeamsActivityRecord {
  /** Position in the log, from 1. */
  seq: number;
  conversationId: string;
  /** Entra object id of the person the activity went to, when the conversation or activity names one. */
  recipientObjectId: string | null;
  activityId: string;
  operation: TeamsOperation;
  /** Set on replies (POST .../activities/{activityId}). */
  replyToId?: string;
  at: string;
  /** The activity as sent; null for deletes. */
  activity: Record<string, unknown> | null;
}

/** Teams user ids as the connector spells them. */
export function teamsUserId(objectId: string): string {
  return `29:sim-${objectId.toLowerCase()}`;
}

/** The personal conversation the simulator keeps for a user: predictable so tests can name it. */
export function personalConversationId(objectId: string): string {
  return `a:sim-${objectId.toLowerCase()}`;
}

/** Beyond this, the oldest log entries are dropped, so a long benchmark cannot exhaust memory. */
const LOG_LIMIT = 50_000;

export class TeamsStore {
  readonly conversations = new Map<string, Conversation>();
  private readonly personalByUser = new Map<string, string>();
  private readonly current = new Map<string, Record<string, unknown>>();
  private log: TeamsActivityRecord[] = [];
  private seq = 0;
  private activitySeq = 0;
  private readonly activityBase = Date.now();

  /** The user's personal conversation, created on first use (Teams' create-conversation is idempotent for 1:1 chats). */
  personalConversation(member: TeamsMember, tenantId: string): Conversation {
    const oid = member.aadObjectId?.toLowerCase();
    const existingId = oid ? this.personalByUser.get(oid) : undefined;
    const existing = existingId ? this.conversations.get(existingId) : undefined;
    if (existing) return existing;
    const id = oid ? personalConversationId(oid) : `a:sim-${randomUUID()}`;
    const conversation: Conversation = { id, conversationType: 'personal', tenantId, members: [member], createdAt: new Date().toISOString() };
    this.conversations.set(id, conversation);
    if (oid) this.personalByUser.set(oid, id);
    return conversation;
  }

  groupConversation(members: TeamsMember[], tenantId: string): Conversation {
    const id = `19:sim-${randomUUID()}@thread.v2`;
    const conversation: Conversation = { id, conversationType: 'groupChat', tenantId, members, createdAt: new Date().toISOString() };
    this.conversations.set(id, conversation);
    return conversation;
  }

  /** Activity ids look like Teams' (numeric, increasing). */
  nextActivityId(): string {
    this.activitySeq += 1;
    return String(this.activityBase + this.activitySeq);
  }

  activity(conversationId: string, activityId: string): Record<string, unknown> | undefined {
    return this.current.get(`${conversationId}\u0000${activityId}`);
  }

  record(entry: Omit<TeamsActivityRecord, 'seq' | 'at'>): TeamsActivityRecord {
    const key = `${entry.conversationId}\u0000${entry.activityId}`;
    if (entry.operation === 'delete') this.current.delete(key);
    else if (entry.activity) this.current.set(key, entry.activity);
    this.seq += 1;
    const record: TeamsActivityRecord = { seq: this.seq, at: new Date().toISOString(), ...entry };
    this.log.push(record);
    if (this.log.length > LOG_LIMIT) this.log = this.log.slice(this.log.length - LOG_LIMIT);
    return record;
  }

  /** The log, oldest first. */
  activities(): readonly TeamsActivityRecord[] {
    return this.log;
  }

  clearActivities(): void {
    this.log = [];
  }

  clear(): void {
    this.conversations.clear();
    this.personalByUser.clear();
    this.current.clear();
    this.log = [];
  }
}
