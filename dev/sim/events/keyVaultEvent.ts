/**
 * Builds `Microsoft.KeyVault.*` events in the shape a vault's system topic delivers them: topic
 * the vault's ARM id, subject the object name, data keys in PascalCase (`Id`, `VaultName`,
 * `ObjectType`, `ObjectName`, `Version`, `NBF`, `EXP`; times in Unix seconds), no caller.
 */
import { randomUUID } from 'node:crypto';
import { toEventTime, type EventGridEvent } from './armEvent';

export interface KeyVaultEventData {
  Id: string;
  VaultName: string;
  ObjectType: string;
  ObjectName: string;
  Version: string | null;
  NBF: number | null;
  EXP: number | null;
}

export interface KeyVaultEventInput {
  eventType: string;
  vaultId: string;
  vaultName: string;
  objectType: 'Secret' | 'Key' | 'Certificate' | 'Vault';
  objectName: string;
  /** The object's data-plane URL (`https://<vault>/secrets/<name>/<version>`), or the vault's for access policy changes. */
  objectUrl: string;
  version?: string;
  nbf?: number;
  exp?: number;
  at?: Date;
}

export function toKeyVaultEvent(input: KeyVaultEventInput): EventGridEvent<KeyVaultEventData> {
  return {
    id: randomUUID(),
    topic: input.vaultId,
    subject: input.objectName,
    eventType: input.eventType,
    eventTime: toEventTime(input.at ?? new Date()),
    dataVersion: '1',
    metadataVersion: '1',
    data: {
      Id: input.objectUrl,
      VaultName: input.vaultName,
      ObjectType: input.objectType,
      ObjectName: input.objectName,
      Version: input.version ?? null,
      NBF: input.nbf ?? null,
      EXP: input.exp ?? null,
    },
  };
}
