/**
 * Event Grid functions. armEvents enforces role assignments; keyVaultEvents and storageEvents
 * decode, validate and log what their system topics deliver (guardrails for them come later).
 */
import { reconcile, handleArmEvent } from '../shared/usecases/enforcement';
import { receivedEventFrom } from '../shared/domain/events/envelope';
import { decodeKeyVaultEvent } from '../shared/domain/events/keyVaultEvent';
import { decodeStorageEvent } from '../shared/domain/events/storageEvent';
import type { GetApp } from './http/api';
import type { EventGridFunction, TimerFunction } from './types';

export function eventFunctions(getApp: GetApp): EventGridFunction[] {
  return [
    {
      kind: 'eventGrid',
      name: 'armEvents',
      handler: async (event, context) => {
        const { deps } = await getApp();
        await handleArmEvent(deps, receivedEventFrom(event), (line) => context.log(line));
      },
    },
    {
      kind: 'eventGrid',
      name: 'keyVaultEvents',
      handler: async (event, context) => {
        const decoded = decodeKeyVaultEvent(receivedEventFrom(event));
        if (decoded.kind === 'keyVault') context.log(`keyVaultEvents ${decoded.eventId}: ${decoded.eventType} ${decoded.vaultName}/${decoded.objectType}/${decoded.objectName}`);
      },
    },
    {
      kind: 'eventGrid',
      name: 'storageEvents',
      handler: async (event, context) => {
        const decoded = decodeStorageEvent(receivedEventFrom(event));
        if (decoded.kind === 'storage') context.log(`storageEvents ${decoded.eventId}: ${decoded.eventType} ${decoded.accountName}/${decoded.container}/${decoded.blobPath}`);
      },
    },
  ];
}

export function reconcileTimer(getApp: GetApp): TimerFunction {
  return {
    kind: 'timer',
    name: 'reconcile',
    schedule: '0 */15 * * * *',
    handler: async (_timer, context) => {
      const report = await reconcile((await getApp()).deps);
      context.log(`reconcile: ${JSON.stringify(report)}`);
    },
  };
}
