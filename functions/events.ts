/**
 * Event Grid functions. armEvents enforces role assignments and storage account and key vault
 * guardrails; keyVaultEvents checks secrets and re-judges vaults; storageEvents records the blob
 * events a policy asks to watch.
 */
import { reconcile, handleArmEvent } from '../shared/usecases/enforcement';
import { keyVaultEvents, reconcileGuardrails, storageEvents } from '../shared/usecases/guardrails';
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
        // Decoded before anything else: a malformed event is refused even while the app cannot start.
        const decoded = decodeKeyVaultEvent(receivedEventFrom(event));
        if (decoded.kind !== 'keyVault') return;
        context.log(`keyVaultEvents ${decoded.eventId}: ${decoded.eventType} ${decoded.vaultName}/${decoded.objectType}/${decoded.objectName}`);
        await keyVaultEvents((await getApp()).deps, decoded, (line) => context.log(line));
      },
    },
    {
      kind: 'eventGrid',
      name: 'storageEvents',
      handler: async (event, context) => {
        const decoded = decodeStorageEvent(receivedEventFrom(event));
        if (decoded.kind !== 'storage') return;
        context.log(`storageEvents ${decoded.eventId}: ${decoded.eventType} ${decoded.accountName}/${decoded.container}/${decoded.blobPath}`);
        await storageEvents((await getApp()).deps, decoded, (line) => context.log(line));
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
      const { deps } = await getApp();
      const report = await reconcile(deps);
      context.log(`reconcile: ${JSON.stringify(report)}`);
      context.log(`reconcile guardrails: ${JSON.stringify(await reconcileGuardrails(deps))}`);
    },
  };
}
