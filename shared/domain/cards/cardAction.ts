/**
 * Decodes what a card click sends (the `adaptiveCard/action` invoke value): the verb, the ids
 * the card carried and the inputs Teams merged into the action's data. Anything else is a
 * ValidationError that says what was wrong; nothing is trusted beyond its shape.
 */
import { z } from 'zod';
import { ValidationError } from '../errors';
import { MAX_TEXT_LENGTH } from '../requests/rules';
import { CARD_VERBS, COMMENT_INPUT_ID } from './approvalCard';
import { RENEW_INPUTS } from './notificationCards';
import { REQUEST_FORM_INPUTS } from './requestFormCard';

export type CardAction =
  | { verb: 'approve' | 'deny'; requestId: string; comment?: string }
  | { verb: 'refreshCard'; requestId: string }
  | { verb: 'renew'; grantId: string; duration: string; justification: string }
  | { verb: 'createRequest'; scope: string; resource?: string; role: string; duration: string; justification: string };

const id = (what: string) => z.string({ error: `${what} is missing` }).regex(/^[A-Za-z0-9-]{1,100}$/, `${what} must be an id like 3f2b8c1e-...`);
const optionalText = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .max(MAX_TEXT_LENGTH, `${what} must be at most ${MAX_TEXT_LENGTH} characters`)
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined));

const invokeValueSchema = z.object({
  action: z.object(
    {
      type: z.literal('Action.Execute', { error: 'only Action.Execute is supported' }),
      verb: z.string({ error: 'the action has no verb' }),
      data: z.record(z.string(), z.unknown()).optional(),
    },
    { error: 'the invoke value has no action' },
  ),
});

const decisionData = z.object({ requestId: id('requestId'), [COMMENT_INPUT_ID]: optionalText('The comment') });
const refreshData = z.object({ requestId: id('requestId') });
const renewData = z.object({
  grantId: id('grantId'),
  [RENEW_INPUTS.duration]: z.string({ error: 'choose how long to extend the grant by' }).min(1, 'choose how long to extend the grant by').max(50),
  [RENEW_INPUTS.justification]: optionalText('The justification'),
});

const formText = (what: string, max: number) => z.string({ error: `${what} must be text` }).max(max, `${what} must be at most ${max} characters`);
const createData = z.object({
  [REQUEST_FORM_INPUTS.scope]: formText('Where', 1000).trim().min(1, 'choose where you need access'),
  [REQUEST_FORM_INPUTS.resource]: optionalText('The resource'),
  [REQUEST_FORM_INPUTS.role]: formText('The role', 300).trim().min(1, 'choose a role'),
  [REQUEST_FORM_INPUTS.duration]: formText('The duration', 50).trim().min(1, 'choose how long'),
  [REQUEST_FORM_INPUTS.justification]: optionalText('The justification'),
});

function decode<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
    throw new ValidationError(`This card action is not one AccessManager understands (${issues}).`, 'InvalidCardAction');
  }
  return parsed.data;
}

export function decodeCardAction(value: unknown): CardAction {
  const { action } = decode(invokeValueSchema, value);
  const data = action.data ?? {};
  switch (action.verb) {
    case CARD_VERBS.approve:
    case CARD_VERBS.deny: {
      const d = decode(decisionData, data);
      return { verb: action.verb, requestId: d.requestId, ...(d[COMMENT_INPUT_ID] ? { comment: d[COMMENT_INPUT_ID] } : {}) };
    }
    case CARD_VERBS.refresh:
      return { verb: 'refreshCard', requestId: decode(refreshData, data).requestId };
    case CARD_VERBS.renew: {
      const d = decode(renewData, data);
      return { verb: 'renew', grantId: d.grantId, duration: d[RENEW_INPUTS.duration], justification: d[RENEW_INPUTS.justification] ?? '' };
    }
    case CARD_VERBS.createRequest: {
      const d = decode(createData, data);
      return {
        verb: 'createRequest',
        scope: d[REQUEST_FORM_INPUTS.scope],
        ...(d[REQUEST_FORM_INPUTS.resource] ? { resource: d[REQUEST_FORM_INPUTS.resource] } : {}),
        role: d[REQUEST_FORM_INPUTS.role],
        duration: d[REQUEST_FORM_INPUTS.duration],
        justification: d[REQUEST_FORM_INPUTS.justification] ?? '',
      };
    }
    default:
      throw new ValidationError(`Unknown card action "${action.verb.slice(0, 50)}": AccessManager's cards use approve, deny, refreshCard, renew and createRequest.`, 'InvalidCardAction');
  }
}
