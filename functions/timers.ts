/**
 * Timer functions: expireGrants (every minute), endGuardrailExceptions (every minute) and
 * scanSecrets (hourly). reconcile is registered with enforcement.
 */
import { runExpiry } from '../shared/usecases/expiry';
import { endGuardrailExceptions, scanSecrets } from '../shared/usecases/guardrails';
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
    {
      kind: 'timer',
      name: 'endGuardrailExceptions',
      schedule: '30 * * * * *',
      handler: async (_timer, context) => {
        const report = await endGuardrailExceptions((await getApp()).deps);
        if (report.ended > 0 || report.failures > 0) context.log(`endGuardrailExceptions: ${JSON.stringify(report)}`);
      },
    },
    {
      kind: 'timer',
      name: 'scanSecrets',
      schedule: '0 7 * * * *',
      handler: async (_timer, context) => {
        context.log(`scanSecrets: ${JSON.stringify(await scanSecrets((await getApp()).deps))}`);
      },
    },
  ];
}
