/** The Teams bot endpoint (`POST /api/messages`, function `messages`): Bot Framework activities in, card answers out. */
import { errorResponse } from './respond';
import { answerBotActivity } from '../teams/botEndpoint';
import type { HttpFunction } from '../types';
import type { GetApp } from './api';

export function messagesFunction(getApp: GetApp): HttpFunction {
  return {
    kind: 'http',
    name: 'messages',
    route: 'messages',
    methods: ['POST'],
    // Not behind `api()`: the Bot Framework authenticates with its own JWT, not App Service authentication.
    handler: async (request, context) => {
      try {
        return await answerBotActivity(request, await getApp());
      } catch (err) {
        return errorResponse(err, context);
      }
    },
  };
}
