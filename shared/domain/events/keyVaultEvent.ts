/**
 * Decodes Key Vault system events (`Microsoft.KeyVault.*`). Their `data` keys are PascalCase on
 * the wire and published samples carry stray spaces in keys and string-typed NBF/EXP, so keys
 * are trimmed and matched case-insensitively and times accept Unix seconds as number or string.
 */
import { MAX_ARM_ID_LENGTH, normalizeArmId } from '../armIds';
import { ValidationError } from '../errors';
import type { IgnoredEvent, ReceivedEvent } from './envelope';
import { describeValue, isRfc3339, parseOrThrow, safeString, toIsoMillis } from './guards';

/** The Key Vault event types Azure publishes, in their canonical spelling. */
export const KEY_VAULT_EVENT_TYPES = [
  'Microsoft.KeyVault.CertificateNewVersionCreated',
  'Microsoft.KeyVault.CertificateNearExpiry',
  'Microsoft.KeyVault.CertificateExpired',
  'Microsoft.KeyVault.KeyNewVersionCreated',
  'Microsoft.KeyVault.KeyNearExpiry',
  'Microsoft.KeyVault.KeyExpired',
  'Microsoft.KeyVault.SecretNewVersionCreated',
  'Microsoft.KeyVault.SecretNearExpiry',
  'Microsoft.KeyVault.SecretExpired',
  'Microsoft.KeyVault.VaultAccessPolicyChanged',
] as const;

/** The data fields read, by their wire names (the Event Grid SDK's model spells them in camelCase, the wire does not). */
export type VaultField = 'Id' | 'VaultName' | 'ObjectType' | 'ObjectName' | 'Version' | 'NBF' | 'EXP';

export interface KeyVaultEvent {
  kind: 'keyVault';
  eventId: string;
  /** Canonical spelling for known types; types Azure adds later are kept as delivered. */
  eventType: string;
  eventTime: string | undefined;
  vaultName: string;
  /** The vault's ARM id, from the event topic, normalized. */
  vaultId: string;
  /** `Secret`, `Key`, `Certificate` or `Vault` (access policy changes). */
  objectType: string;
  objectName: string;
  version: string | undefined;
  /** The object's data-plane URL (`data.Id`). */
  objectUrl: string | undefined;
  nbf?: Date;
  exp?: Date;
}

const KNOWN_TYPES = new Map<string, string>(KEY_VAULT_EVENT_TYPES.map((t) => [t.toLowerCase(), t]));
const VAULT_ID = /\/providers\/microsoft\.keyvault\/vaults\/([^/]+)$/i;
// Year 9999: anything later is not a time a vault can hold.
const MAX_UNIX_SECONDS = 253402300799;

/**
 * `data` as a map from trimmed, lower-cased key to value. Two keys that normalize alike with
 * different values make the event ambiguous, so it is refused rather than guessed.
 */
function normalizedKeys(data: unknown, label: string): Map<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ValidationError(`${label}: data must be an object, not ${describeValue(data)}`, 'InvalidEvent');
  }
  const keys = new Map<string, unknown>();
  for (const [rawKey, value] of Object.entries(data)) {
    const key = rawKey.trim().toLowerCase();
    if (keys.has(key) && !Object.is(keys.get(key), value)) {
      throw new ValidationError(`${label}: data has conflicting values for ${describeValue(rawKey.trim())}`, 'InvalidEvent');
    }
    keys.set(key, value);
  }
  return keys;
}

function optionalText(keys: Map<string, unknown>, name: VaultField, label: string, max: number): string | undefined {
  const value = keys.get(name.toLowerCase());
  if (value === undefined || value === null) return undefined;
  const text = parseOrThrow(safeString(max), typeof value === 'string' ? value.trim() : value, label, `data.${name}`);
  return text.length === 0 ? undefined : text;
}

function requiredText(keys: Map<string, unknown>, name: VaultField, label: string, max: number): string {
  const value = optionalText(keys, name, label, max);
  if (value === undefined) throw new ValidationError(`${label}: data.${name} is missing or empty`, 'InvalidEvent');
  return value;
}

/** NBF/EXP: Unix seconds as a number or numeric string, or an RFC 3339 string; null means unset. */
export function parseVaultTime(value: unknown, field: VaultField, label: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    if (/^-?\d{1,15}(\.\d{1,9})?$/.test(trimmed)) {
      seconds = Number(trimmed);
    } else if (isRfc3339(trimmed)) {
      return new Date(trimmed);
    } else {
      throw new ValidationError(`${label}: data.${field} ${describeValue(value)} is neither Unix seconds nor an RFC 3339 date-time`, 'InvalidEvent');
    }
  } else {
    throw new ValidationError(`${label}: data.${field} must be Unix seconds (number or string) or null, not ${describeValue(value)}`, 'InvalidEvent');
  }
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_UNIX_SECONDS) {
    throw new ValidationError(`${label}: data.${field} ${describeValue(value)} is not a plausible Unix time in seconds`, 'InvalidEvent');
  }
  return new Date(Math.round(seconds * 1000));
}

/**
 * Decodes the data of one Key Vault event (its envelope was validated by envelope.ts).
 * Non-Key Vault event types come back `ignored`; malformed or hostile data throws ValidationError.
 */
export function decodeKeyVaultEvent(envelope: ReceivedEvent): KeyVaultEvent | IgnoredEvent {
  const label = `Key Vault event ${envelope.id}`;
  const lowerType = envelope.type.toLowerCase();
  if (!lowerType.startsWith('microsoft.keyvault.')) {
    return { kind: 'ignored', eventId: envelope.id, reason: `${envelope.type} is not a Key Vault event` };
  }
  const eventType = KNOWN_TYPES.get(lowerType) ?? envelope.type;
  const eventTime = toIsoMillis(envelope.time);

  const vaultId = normalizeArmId(envelope.topic);
  const topicVaultName = vaultId === undefined ? undefined : VAULT_ID.exec(vaultId)?.[1];
  if (vaultId === undefined || topicVaultName === undefined) {
    throw new ValidationError(`${label}: topic ${describeValue(envelope.topic)} is not the ARM id of a key vault`, 'InvalidEvent');
  }

  const keys = normalizedKeys(envelope.data, label);
  const vaultName = requiredText(keys, 'VaultName', label, 256);
  if (vaultName.toLowerCase() !== topicVaultName.toLowerCase()) {
    throw new ValidationError(`${label}: data.VaultName ${describeValue(vaultName)} is not the vault of topic ${describeValue(envelope.topic)}`, 'InvalidEvent');
  }
  const decoded: KeyVaultEvent = {
    kind: 'keyVault',
    eventId: envelope.id,
    eventType,
    eventTime,
    vaultName,
    vaultId,
    objectType: requiredText(keys, 'ObjectType', label, 64),
    objectName: requiredText(keys, 'ObjectName', label, 256),
    version: optionalText(keys, 'Version', label, 256),
    objectUrl: optionalText(keys, 'Id', label, MAX_ARM_ID_LENGTH),
  };
  const nbf = parseVaultTime(keys.get('nbf'), 'NBF', label);
  const exp = parseVaultTime(keys.get('exp'), 'EXP', label);
  if (nbf !== undefined) decoded.nbf = nbf;
  if (exp !== undefined) decoded.exp = exp;
  return decoded;
}
