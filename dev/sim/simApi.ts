/**
 * The simulator's own endpoints under `/sim`, for tests and debugging: state, reset, knobs,
 * the Teams activity log, the event delivery log. Fault injection never applies here.
 */
import { z } from 'zod';
import type { EventDelivery } from './events/delivery';
import { ok, queryParam, SimHttpError, type SimReply, type SimRequest } from './http';
import { knobsPatchSchema, type SimKnobs } from './knobs';
import type { SimState } from './state';
import { installForAllUsers } from './teams/install';
import { checkExpiry } from './keyvault/dataPlane';

export interface SimApiDeps {
  state: SimState;
  knobs: SimKnobs;
  delivery: EventDelivery;
}

const installBody = z.object({ messagesUrl: z.string().url('messagesUrl must be the bot endpoint, e.g. http://localhost:7071/api/messages'), botAppId: z.string().optional() });
const IDLE_WAIT_LIMIT_MS = 30_000;

function invalid(error: z.ZodError): SimHttpError {
  return new SimHttpError(400, 'InvalidRequest', error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
}

export async function handleSimApi(req: SimRequest, deps: SimApiDeps): Promise<SimReply> {
  const route = `${req.method} ${req.path.toLowerCase()}`;
  switch (route) {
    case 'GET /sim/state':
      return ok({
        assignments: [...deps.state.assignments.values()],
        resources: [...deps.state.resources.values()],
        conversations: [...deps.state.teams.conversations.values()],
        stats: deps.state.stats,
        events: { webhook: deps.delivery.webhook ?? null, delivered: deps.delivery.delivered(), pending: deps.delivery.pending(), attempts: deps.delivery.attempts() },
      });
    case 'POST /sim/reset':
      deps.state.reset();
      return ok({ reset: true });
    case 'GET /sim/knobs':
      return ok(deps.knobs);
    case 'PATCH /sim/knobs': {
      const parsed = knobsPatchSchema.safeParse(req.body ?? {});
      if (!parsed.success) throw invalid(parsed.error);
      Object.assign(deps.knobs, parsed.data);
      return ok(deps.knobs);
    }
    case 'GET /sim/teams/activities': {
      const recipient = queryParam(req.query, 'recipient')?.toLowerCase();
      const conversationId = queryParam(req.query, 'conversationId');
      const operation = queryParam(req.query, 'operation');
      const items = deps.state.teams
        .activities()
        .filter((a) => (!recipient || a.recipientObjectId === recipient) && (!conversationId || a.conversationId === conversationId) && (!operation || a.operation === operation));
      return ok({ items });
    }
    case 'DELETE /sim/teams/activities':
      deps.state.teams.clearActivities();
      return { status: 204 };
    case 'POST /sim/teams/install': {
      const parsed = installBody.safeParse(req.body);
      if (!parsed.success) throw invalid(parsed.error);
      const results = await installForAllUsers(deps.state, parsed.data.messagesUrl, `${req.origin}/connector/`, parsed.data.botAppId);
      return ok({ items: results });
    }
    case 'POST /sim/keyvault/expiry':
      // Azure checks expiry on its own schedule; here a test (or a person) says when.
      return ok({ sent: checkExpiry(deps.state, deps.knobs) });
    case 'GET /sim/events':
      return ok({ delivered: deps.delivery.delivered(), pending: deps.delivery.pending(), attempts: deps.delivery.attempts(), items: deps.delivery.recent() });
    case 'GET /sim/events/idle': {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), IDLE_WAIT_LIMIT_MS);
      });
      const gaveUp = await Promise.race([deps.delivery.idle().then(() => false), timedOut]);
      clearTimeout(timer);
      return ok({ idle: !gaveUp, pending: deps.delivery.pending(), delivered: deps.delivery.delivered() }, gaveUp ? 504 : 200);
    }
    default:
      throw new SimHttpError(404, 'NotFound', `No simulator endpoint '${req.method} ${req.path}'. The endpoints are listed in dev/sim/simApi.ts.`);
  }
}
