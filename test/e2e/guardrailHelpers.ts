/**
 * Helpers of the guardrail end-to-end tests: out-of-band writes of storage accounts and vaults
 * through the simulated ARM (as dave, with the api-versions the SDKs send), the real
 * SecretClient against a simulated vault, waiting for Key Vault deliveries, and guardrail audit
 * records of one resource.
 */
import { SecretClient } from '@azure/keyvault-secrets';
import type { LocalStack } from '../../dev/localStack';
import { simCredential } from '../../dev/sim';
import { PEOPLE, RG } from '../../dev/tenant';
import { scopeKey } from '../../shared/domain/armIds';
import type { AuditRecord } from '../../shared/domain/audit/record';
import { agentFor, auditRecords, type Answer } from './enforcementHelpers';

export const STWEIGHTS = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
export const STSCRATCH = `${RG.research}/providers/Microsoft.Storage/storageAccounts/stscratch`;
export const STSANDBOX = `${RG.sandbox}/providers/Microsoft.Storage/storageAccounts/stsandbox`;
export const KV_RESEARCH = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`;

/** The api-versions the SDK clients of this project send. */
export const API = { storage: '2025-06-01', keyVault: '2026-02-01' } as const;

type Body = Record<string, unknown> | undefined;

/** One ARM call to the simulator (default caller dave; `events: false` emits no event). */
export async function simResource(
  stack: LocalStack,
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE',
  path: string,
  opts: { caller?: string; body?: unknown; apiVersion?: string; events?: boolean } = {},
): Promise<Answer<Body & { error?: { code: string; message: string } }>> {
  const apiVersion = opts.apiVersion ?? (/microsoft\.keyvault/i.test(path) ? API.keyVault : API.storage);
  const headers: Record<string, string> = { 'x-sim-caller': opts.caller ?? PEOPLE.dave };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.events === false) headers['x-sim-events'] = 'off';
  const res = await fetch(`${stack.sim.url}${path}?api-version=${apiVersion}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    dispatcher: agentFor(stack.ca),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Body & { error?: { code: string; message: string } } };
}

/** PATCHes `properties` of a storage account or vault as `caller` (dave by default), as the portal or az would. */
export async function patchOutOfBand(stack: LocalStack, resourceId: string, properties: Record<string, unknown>, caller: string = PEOPLE.dave): Promise<number> {
  const res = await simResource(stack, 'PATCH', resourceId, { caller, body: { properties } });
  if (res.status !== 200) throw new Error(`PATCH ${resourceId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return performance.now();
}

/** The resource's properties as the simulator holds them (wire names). */
export function propertiesOf(stack: LocalStack, resourceId: string): Record<string, unknown> {
  const r = stack.sim.state.resources.get(scopeKey(resourceId));
  if (!r) throw new Error(`${resourceId} is not in the simulator`);
  return r.properties;
}

/** Guardrail records (`guardrail.*`, `storage.*`) of one resource, oldest first. */
export async function guardrailRecords(stack: LocalStack, resourceId: string, action?: AuditRecord['action']): Promise<AuditRecord[]> {
  const records = await auditRecords(stack, { scope: resourceId, ...(action ? { action } : {}) });
  return records.filter((r) => r.scope !== undefined && scopeKey(r.scope) === scopeKey(resourceId)).reverse();
}

/** Waits until neither the ARM nor the Key Vault deliveries have anything queued or in flight, twice in a row. */
export async function settleAll(stack: LocalStack): Promise<void> {
  for (let quiet = 0; quiet < 2; ) {
    await stack.sim.events.idle();
    await stack.sim.keyVaultEvents.idle();
    await new Promise((r) => setTimeout(r, 30));
    quiet = stack.sim.events.pending() + stack.sim.keyVaultEvents.pending() === 0 ? quiet + 1 : 0;
  }
}

/** The real SecretClient against a simulated vault, signed in as `who`. */
export async function secretClient(stack: LocalStack, vaultId: string, who: string = PEOPLE.dave): Promise<SecretClient> {
  const url = await stack.sim.vaultUrl(vaultId);
  return new SecretClient(url, simCredential(who), { tlsOptions: { ca: stack.ca }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
}
