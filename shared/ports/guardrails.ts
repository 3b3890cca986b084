/**
 * Ports of guardrails: the storage accounts and key vaults as ARM serves them (read, list, and
 * PATCH of chosen settings only), the per-resource guardrail state in the store, and the
 * metadata of a vault's secrets (never their values).
 */
import type { ResourceView } from '../domain/guardrails/decide';
import type { GuardedResourceKind, GuardedResourceRef } from '../domain/guardrails/properties';
import type { SecretMetadata } from '../domain/guardrails/secrets';
import type { GuardrailState } from '../domain/guardrails/state';

/** A storage account or vault as ARM answered, with what an adapter needs to write it back. */
export interface GuardedResourceSnapshot extends ResourceView {
  name: string;
  /** The vault's data-plane URI (vaults only), from ARM: the only address secrets are read at. */
  vaultUri?: string;
  /** The resource as read; adapters write whole sub-objects (network rules, access policies) from it. Opaque elsewhere. */
  raw: unknown;
}

export interface PropertyChange {
  property: string;
  value: string | boolean;
}

export interface GuardedResources {
  /** Undefined when the resource does not exist (deleted since the event). */
  get(ref: GuardedResourceRef): Promise<GuardedResourceSnapshot | undefined>;
  /** Changes exactly these settings (one PATCH, plus the access-policy removal for vaults); returns the resource as ARM answered. */
  apply(snapshot: GuardedResourceSnapshot, changes: readonly PropertyChange[]): Promise<GuardedResourceSnapshot>;
  /** Every account or vault under `scope` (a subscription or resource group), a page at a time. */
  list(scope: string, kind: GuardedResourceKind): AsyncIterable<GuardedResourceSnapshot[]>;
}

export interface VersionedState {
  state: GuardrailState;
  etag: string;
}

export type StateMutation = (current: GuardrailState) => GuardrailState;

export interface GuardrailStates {
  read(resourceId: string): Promise<VersionedState | undefined>;
  /**
   * Applies `mutate` with compare-and-swap (creating the document when missing). `known` is what
   * the caller read (null: it read and found none): it saves a read when nobody wrote in between.
   * Returns the stored state.
   */
  update(resourceId: string, mutate: StateMutation, known?: VersionedState | null): Promise<VersionedState>;
  /** Resources with an exception that ends at or before `now`. */
  withEndingExceptions(now: Date): Promise<string[]>;
  /** Resources with a setting contested at `now` (health). */
  contested(now: Date): Promise<GuardrailState[]>;
}

export interface SecretInventory {
  /** The current version of every secret in the vault: metadata only. */
  list(vaultUri: string): AsyncIterable<SecretMetadata[]>;
  /** Every version of one secret: metadata only. */
  versions(vaultUri: string, name: string): AsyncIterable<SecretMetadata[]>;
}

export interface GuardrailPorts {
  resources: GuardedResources;
  states: GuardrailStates;
  secrets: SecretInventory;
}
