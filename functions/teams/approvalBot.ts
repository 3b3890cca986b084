/**
 * AccessManager's Teams bot on the Agents SDK's ActivityHandler. It remembers where each
 * person can be reached (installation, conversation updates, messages), forgets it when the
 * app is removed, answers "request" (typed, or from the command menu) with the request form,
 * and answers card clicks (`adaptiveCard/action` invokes) with a card.
 */
import { ActivityHandler, CardFactory, MessageFactory, type InvokeResponse, type TurnContext } from '@microsoft/agents-hosting';
import type { Deps } from '../../shared/ports/deps';
import { isGuid } from '../../shared/domain/armIds';
import { ValidationError } from '../../shared/domain/errors';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../shared/domain/cards/adaptiveCard';
import { decodeCardAction } from '../../shared/domain/cards/cardAction';
import { answerCardAction, requestFormCard, type Clicker } from '../../shared/usecases/cardActions';
import { referenceFromActivity } from './conversationReference';

const HELP =
  'AccessManager sends you approval cards here when someone needs access you can approve, and tells you about your own requests and grants. Send "request" for a form to ask for access; the portal and the access-manager CLI do the same.';

/** "request", "request access" (after any @mention of the bot): the command that answers with the form. */
export function isRequestCommand(text: string | undefined): boolean {
  const plain = (text ?? '').replace(/<at>[^<]*<\/at>/gi, ' ').trim().toLowerCase();
  return /^request( access)?$/.test(plain);
}

function errorInvoke(status: number, code: string, message: string): InvokeResponse {
  return { status, body: { statusCode: status, type: 'application/vnd.microsoft.error', value: { code, message } } };
}

/** The clicker, as far as the Bot Framework token vouches for the activity. */
function clickerOf(context: TurnContext): Clicker | undefined {
  const from = context.activity.from;
  if (!from?.aadObjectId || !isGuid(from.aadObjectId)) return undefined;
  return { objectId: from.aadObjectId.toLowerCase(), ...(from.name ? { name: from.name } : {}), ...(from.id ? { userId: from.id } : {}) };
}

export class ApprovalBot extends ActivityHandler {
  constructor(private readonly deps: Deps) {
    super();
    const remember = async (context: TurnContext, next: () => Promise<void>) => {
      const captured = referenceFromActivity(context.activity);
      if (captured) await deps.conversations.remember(captured, deps.clock.now());
      await next();
    };
    this.onInstallationUpdateAdd(remember);
    this.onConversationUpdate(remember);
    this.onInstallationUpdateRemove(async (context, next) => {
      const captured = referenceFromActivity(context.activity);
      if (captured?.kind === 'person') await deps.conversations.forget(captured.objectId);
      await next();
    });
    this.onMessage(async (context, next) => {
      await remember(context, async () => undefined);
      if (isRequestCommand(context.activity.text)) {
        await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(requestFormCard(deps))));
      } else {
        await context.sendActivity(HELP);
      }
      await next();
    });
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    if (context.activity.name !== 'adaptiveCard/action') return super.onInvokeActivity(context);
    const clicker = clickerOf(context);
    if (!clicker) return errorInvoke(400, 'NoClicker', 'The card action does not say who clicked (from.aadObjectId must be an Entra object id).');
    try {
      const card = await answerCardAction(this.deps, clicker, decodeCardAction(context.activity.value));
      return { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: card } };
    } catch (err) {
      if (err instanceof ValidationError) return errorInvoke(400, err.code, err.message);
      throw err;
    }
  }
}
