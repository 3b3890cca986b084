/**
 * The rule for Key Vault secrets: every enabled secret expires, no later than the policy's
 * maximum age after it was created (or became valid), and is replaced before that age. Judged
 * on metadata only (never a value): from a SecretNewVersionCreated event (checked against the
 * vault) and by the timer that scans metadata, since changing a secret's attributes raises no event.
 */
import { scopeKey } from '../armIds';

export interface SecretMetadata {
  name: string;
  version?: string;
  enabled: boolean;
  createdOn?: Date;
  notBefore?: Date;
  expiresOn?: Date;
}

export type SecretProblem = 'noExpiry' | 'expiryTooFar' | 'pastMaxAge';

export interface SecretVerdict {
  problem: SecretProblem;
  reason: string;
}

const DAY_MS = 86_400_000;
const days = (ms: number): string => `${Math.round((ms / DAY_MS) * 10) / 10} days`;

/** What is wrong with one secret (version), or undefined when it keeps the rule. Disabled secrets cannot be read: nothing to say. */
export function judgeSecret(secret: SecretMetadata, maxAgeMs: number, maxAge: string, now: Date): SecretVerdict | undefined {
  if (!secret.enabled) return undefined;
  const start = secret.notBefore ?? secret.createdOn;
  if (!secret.expiresOn) {
    return { problem: 'noExpiry', reason: `secret ${secret.name} has no expiry date; the policy allows at most ${maxAge}` };
  }
  if (start && secret.expiresOn.getTime() - start.getTime() > maxAgeMs) {
    return {
      problem: 'expiryTooFar',
      reason: `secret ${secret.name} expires ${days(secret.expiresOn.getTime() - start.getTime())} after it was created, beyond the policy's maximum of ${maxAge}`,
    };
  }
  if (start && now.getTime() - start.getTime() > maxAgeMs) {
    return { problem: 'pastMaxAge', reason: `secret ${secret.name} is ${days(now.getTime() - start.getTime())} old, older than the policy's maximum of ${maxAge}: rotate it` };
  }
  return undefined;
}

/** One record per vault, secret, version and problem. */
export function secretKey(vaultId: string, secret: Pick<SecretMetadata, 'name' | 'version'>, problem: string): string {
  return `guardrail.secret:${scopeKey(vaultId)}:${secret.name.toLowerCase()}:${secret.version ?? ''}:${problem}`;
}
