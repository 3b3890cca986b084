/** Timer functions: expireGrants (every minute). reconcile is registered with enforcement. */
import { runExpiry } from '../shared/usecases/expiry';
import type { TimerFunction } from './types';
import type { GetApp } from './http/api';

export function timerFunctions(getApp: GetApp): TimerFunction[] {
  return [
    {
      kind: 'timer',
      name: 'expireGrants',
      schedule: '0 * * * * *',
      handler: async (_timer, context) => {
        const report = await runExpiry((await getApp()).deps);
        context.log(`expireGrants: ${JSON.stringify(report)}`);
      },
    },
  ];
}
