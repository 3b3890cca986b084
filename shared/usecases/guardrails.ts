/**
 * Guardrails for storage accounts and key vaults: the event path (a write or a key listing on
 * armEvents, a Key Vault event, a blob event), reconcile, the end of approved exceptions, and the
 * scan of secret metadata. Every path reads the resource from ARM (events carry no body), decides
 * with the pure rule in domain/guardrails/decide.ts, and acts:
 *
 *   read state -> GET resource -> decide -> state write (what is about to happen: the intent)
 *   -> records and alerts of what was seen -> PATCH of the offending settings only
 *   -> `guardrail.remediated` once ARM answered -> state write (episode closed, patch remembered).
 *
 * A crash anywhere converges on redelivery: the intent makes the next attempt PATCH again and
 * record what landed, and every record has an idempotency key of (resource, setting, value seen,
 * episode). Our own PATCH raises an event too; its caller is our identity and the state names the
 * settings we patched, so it ends in "compliant" and never in a second fix.
 *
 * Per write event (measured by bench/guardrails.ts): a compliant resource costs 1 store read and 1
 * ARM read; a fix adds 2 conditional state writes, the record (2 creates) and 1 ARM PATCH.
 */
import type { Deps } from '../ports/deps';
import type { GuardedResourceSnapshot } from '../ports/guardrails';
import type { AuditActor, AuditEntry } from '../domain/audit/record';
import { fitForLedger } from '../domain/audit/auditFit';
import { isWithinScope, scopeDepth, scopeKey } from '../domain/armIds';
import { AppError, InternalError, ValidationError } from '../domain/errors';
import type { ArmCaller, ResourceChangeEvent, StorageActionEvent, StorageKeyAction } from '../domain/events/armEvent';
import type { KeyVaultEvent } from '../domain/events/keyVaultEvent';
import type { StorageEvent } from '../domain/events/storageEvent';
import { changesState, decideGuardrails, verdictKey, type Verdict } from '../domain/guardrails/decide';
import { governingGuardrails, governingSecretRules, guardedScopes, watchedBlobEvents, type GoverningGuardrails } from '../domain/guardrails/governing';
import { complies, guardedProperty, guardedResourceOf, type GuardedResourceKind, type GuardedResourceRef } from '../domain/guardrails/properties';
import { judgeSecret, secretKey, type SecretMetadata } from '../domain/guardrails/secrets';
import { withClosed, withContested, withOpen, withoutEndedExceptions, withPatch, type GuardrailState } from '../domain/guardrails/state';
import type { NotificationKind } from '../ports/notifier';
import { isDuplicateAppend } from '../ports/audit';
import { notifySafely } from './grants';

export type GuardrailDeps = Pick<Deps, 'guardrails' | 'policies' | 'audit' | 'notifier' | 'clock' | 'appPrincipalId' | 'directory'>;

export interface GuardrailTrigger {
  via: 'event' | 'reconcile' | 'exceptionEnded' | 'keyVaultEvent';
  eventId?: string;
  /** Who made the change, from the event's claims (absent for timers and Key Vault events). */
  caller?: ArmCaller;
  /** Said in the records (e.g. which exception ended). */
  note?: string;
}

export interface GuardrailReport {
  resourceId: string;
  policyId?: string;
  /** What happened to each guarded setting. */
  outcomes: Record<string, Verdict['outcome']>;
  /** Settings changed back in Azure. */
  patched: string[];
  /** Why nothing was judged (no guardrails, resource gone). */
  skipped?: string;
  /** ARM refused the fix: its message. */
  refused?: string;
}

function actorOf(trigger: GuardrailTrigger): AuditActor {
  const c = trigger.caller;
  const actor: AuditActor = {};
  if (c?.objectId) actor.id = c.objectId;
  if (c?.upn) actor.name = c.upn;
  if (c?.appId) actor.appId = c.appId;
  if (Object.keys(actor).length > 0) return actor;
  return { name: trigger.via === 'event' ? 'unknown (the event named no caller)' : `unknown (found by ${trigger.via})` };
}

const who = (actor: AuditActor): string => actor.name ?? actor.id ?? 'unknown';

async function record(deps: Pick<Deps, 'audit'>, entry: AuditEntry, key: string): Promise<void> {
  await deps.audit.append(fitForLedger(entry), { idempotencyKey: key });
}

const ALERT_KINDS: Partial<Record<Verdict['outcome'], { action: AuditEntry['action']; kind: NotificationKind; title: string }>> = {
  remediate: { action: 'guardrail.remediated', kind: 'guardrail.remediated', title: 'Guardrail restored' },
  confirmed: { action: 'guardrail.remediated', kind: 'guardrail.remediated', title: 'Guardrail restored' },
  wouldRemediate: { action: 'guardrail.wouldRemediate', kind: 'guardrail.wouldRemediate', title: 'Guardrail would be restored (audit mode)' },
  violation: { action: 'guardrail.violation', kind: 'guardrail.violation', title: 'Guardrail violated' },
  contested: { action: 'guardrail.contested', kind: 'guardrail.contested', title: 'Guardrail contested: AccessManager stopped fixing it' },
};

/** The record and the security alert of one verdict, each at most once per its key. */
async function recordVerdict(
  deps: GuardrailDeps,
  verdict: Verdict,
  ctx: { resourceId: string; governing: GoverningGuardrails; trigger: GuardrailTrigger; actor: AuditActor },
  override?: { action: AuditEntry['action']; reason: string; key: string },
): Promise<void> {
  const kind = ALERT_KINDS[verdict.outcome];
  if (!kind || !verdict.key) return;
  const action = override?.action ?? kind.action;
  const reason = [override?.reason ?? verdict.reason, ctx.trigger.note].filter(Boolean).join('; ');
  const key = override?.key ?? verdict.key;
  const mode = action === 'guardrail.remediated' ? 'enforce' : action === 'guardrail.wouldRemediate' ? 'audit' : ctx.governing.mode;
  await record(
    deps,
    {
      action,
      actor: ctx.actor,
      scope: ctx.resourceId,
      policyId: ctx.governing.policy.id,
      mode,
      eventId: ctx.trigger.eventId,
      reason,
      details: { property: verdict.property, observed: verdict.observed, required: verdict.required, episode: verdict.episode, via: ctx.trigger.via },
    },
    key,
  );
  const name = ctx.resourceId.slice(ctx.resourceId.lastIndexOf('/') + 1);
  await notifySafely(deps, {
    kind: override ? 'guardrail.violation' : kind.kind,
    recipients: [],
    securityChannel: true,
    subject: `${verdict.urgent ? 'URGENT: ' : ''}${override ? 'Guardrail could not be restored' : kind.title}: ${verdict.property} on ${name}`,
    text: `${reason}. Changed by ${who(ctx.actor)}. Resource: ${ctx.resourceId}.`,
    policyId: ctx.governing.policy.id,
    key,
  });
}

/** The state change made before acting: intents, recorded deviations, contested settings, closed episodes. */
function beforeActing(verdicts: readonly Verdict[], now: Date, holdOffMs: number): (s: GuardrailState) => GuardrailState {
  const since = now.toISOString();
  return (state) => {
    let next = state;
    for (const v of verdicts) {
      const value = JSON.stringify(v.observed);
      if (v.outcome === 'remediate' || v.outcome === 'wouldRemediate' || v.outcome === 'violation') {
        next = withOpen(next, v.property, v.episode, { value, action: v.outcome, since });
      } else if (v.outcome === 'contested') {
        next = withContested(next, v.property, v.episode, new Date(now.getTime() + holdOffMs).toISOString());
      } else if (v.outcome === 'compliant' && v.closes) {
        next = withClosed(next, v.property, v.episode);
      }
    }
    return next;
  };
}

/**
 * Judges one storage account or vault and acts. `listed` is the resource as a listing returned
 * it (reconcile): no second read. Idempotent: a repeat records and changes nothing new.
 */
export async function enforceGuardrails(deps: GuardrailDeps, ref: GuardedResourceRef, trigger: GuardrailTrigger, listed?: GuardedResourceSnapshot): Promise<GuardrailReport> {
  const governing = governingGuardrails(deps.policies, ref.id, ref.kind);
  if (!governing) return { resourceId: ref.id, outcomes: {}, patched: [], skipped: 'no policy has guardrails for it' };
  const g = deps.guardrails;
  // State first, then the resource: a fix another instance finished in between is then seen
  // in the resource, never counted twice (see state.ts).
  const known = (await g.states.read(ref.id)) ?? null;
  const snapshot = listed ?? (await g.resources.get(ref));
  if (!snapshot) return { resourceId: ref.id, policyId: governing.policy.id, outcomes: {}, patched: [], skipped: 'it no longer exists' };
  const now = deps.clock.now();
  const byApp = trigger.caller?.objectId !== undefined && trigger.caller.objectId.toLowerCase() === deps.appPrincipalId.toLowerCase();
  const decision = decideGuardrails({
    resource: snapshot,
    governing: { policyId: governing.policy.id, mode: governing.mode, rules: governing.rules, fight: governing.guardrails.fight },
    state: known?.state,
    byApp,
    now,
  });
  const report: GuardrailReport = { resourceId: snapshot.id, policyId: governing.policy.id, outcomes: Object.fromEntries(decision.verdicts.map((v) => [v.property, v.outcome])), patched: [] };
  const ctx = { resourceId: snapshot.id, governing, trigger, actor: actorOf(trigger) };

  const current = decision.verdicts.some(changesState) ? await g.states.update(snapshot.id, beforeActing(decision.verdicts, now, governing.guardrails.fight.holdOffMs), known) : known;
  for (const v of decision.verdicts) {
    if (v.outcome === 'wouldRemediate' || v.outcome === 'violation' || v.outcome === 'contested') await recordVerdict(deps, v, ctx);
  }

  const fixed: Verdict[] = decision.verdicts.filter((v) => v.outcome === 'confirmed');
  if (decision.patch.length > 0) {
    const remediations = decision.verdicts.filter((v) => v.outcome === 'remediate');
    let after: GuardedResourceSnapshot | undefined;
    try {
      after = await g.resources.apply(snapshot, decision.patch);
    } catch (err) {
      if (!(err instanceof AppError) || err.transient) throw err; // the intent stays: redelivery tries again
      report.refused = err.message;
      for (const v of remediations) {
        await recordVerdict(deps, v, ctx, {
          action: 'guardrail.violation',
          reason: `${v.reason}, but ARM refused the change: ${err.message}`,
          key: verdictKey('refused', snapshot.id, v.property, v.observed, v.episode),
        });
      }
    }
    if (after) {
      for (const v of remediations) {
        const property = guardedProperty(ref.kind, v.property)!;
        if (v.property === 'accessPolicies' ? after.values.accessPolicies === 'none' : complies(property, v.required, after.values[v.property] ?? null)) fixed.push(v);
      }
      report.patched = fixed.filter((v) => v.outcome === 'remediate').map((v) => v.property);
    }
  }
  for (const v of fixed) await recordVerdict(deps, v, ctx);
  if (fixed.length > 0) {
    const at = now.toISOString();
    const patched = fixed.filter((v) => v.outcome === 'remediate');
    await g.states.update(
      snapshot.id,
      (state) => {
        let next = state;
        for (const v of fixed) next = withClosed(next, v.property, v.episode, v.outcome === 'remediate' ? at : undefined);
        return patched.length > 0 ? withPatch(next, at, patched.map((v) => v.property)) : next;
      },
      current,
    );
  }
  return report;
}

/**
 * A storage account or vault write (armEvents): judged if a policy guards it. A write whose id
 * names no account or vault (a deployment's temporary URI) is left to the deployment's other
 * event, which names the resource.
 */
export async function handleGuardrailEvent(deps: GuardrailDeps, event: ResourceChangeEvent | StorageActionEvent, log: (line: string) => void): Promise<void> {
  const ref = guardedResourceOf(event.resourceId);
  if (!ref) {
    log(`armEvents ${event.eventId}: ${event.operationName} on ${event.resourceId} names no storage account or key vault; nothing to judge`);
    return;
  }
  if (event.kind === 'storageAccountAction') return recordKeyAccess(deps, event, ref, log);
  const report = await enforceGuardrails(deps, ref, { via: 'event', eventId: event.eventId, caller: event.caller });
  if (report.patched.length > 0 || report.refused || Object.values(report.outcomes).some((o) => o !== 'compliant' && o !== 'ownWrite')) {
    log(`armEvents ${event.eventId}: guardrails ${ref.id}: ${JSON.stringify(report.outcomes)}${report.patched.length ? `; set back ${report.patched.join(', ')}` : ''}${report.refused ? `; refused: ${report.refused}` : ''}`);
  }
}

const KEY_ACCESS: Record<StorageKeyAction, { action: AuditEntry['action']; what: string }> = {
  listKeys: { action: 'storage.keysListed', what: 'listed the account keys' },
  regenerateKey: { action: 'storage.keyRegenerated', what: 'regenerated an account key (and received it)' },
  listAccountSas: { action: 'storage.accountSasListed', what: 'had an account SAS signed' },
  listServiceSas: { action: 'storage.serviceSasListed', what: 'had a service SAS signed' },
};

/** listKeys, regenerateKey and SAS listings on a guarded account: data access outside every role grant. Recorded and alerted. */
async function recordKeyAccess(deps: GuardrailDeps, event: StorageActionEvent, ref: GuardedResourceRef, log: (line: string) => void): Promise<void> {
  const governing = ref.kind === 'storageAccount' ? governingGuardrails(deps.policies, ref.id, 'storageAccount') : undefined;
  if (!governing) {
    log(`armEvents ${event.eventId}: ${event.action} on ${ref.id}: no policy guards this account`);
    return;
  }
  const actor = actorOf({ via: 'event', caller: event.caller });
  const meta = KEY_ACCESS[event.action];
  const reason = `${who(actor)} ${meta.what} of ${ref.name}: whoever holds them reads and writes its data whatever role assignments say, and no revocation takes that back`;
  const key = `${meta.action}:${scopeKey(ref.id)}:${event.eventId}`;
  await record(deps, { action: meta.action, actor, scope: ref.id, policyId: governing.policy.id, mode: governing.mode, eventId: event.eventId, reason, details: { operation: event.operationName } }, key);
  await notifySafely(deps, {
    kind: 'storage.keyAccess',
    recipients: [],
    securityChannel: true,
    subject: `Storage keys used: ${event.action} on ${ref.name}`,
    text: `${reason}. Make sure allowSharedKeyAccess is false on accounts that hold protected data.`,
    policyId: governing.policy.id,
    key,
  });
  log(`armEvents ${event.eventId}: ${event.action} on ${ref.id} by ${who(actor)} recorded`);
}

/** Everyone who hears about a vault's secrets: the configured owners (users and members of groups). */
async function ownersOf(deps: GuardrailDeps, owners: { users: string[]; groups: string[] }): Promise<string[]> {
  const ids = new Set(owners.users.map((u) => u.toLowerCase()));
  if (owners.groups.length > 0) for (const u of await deps.directory.usersInGroups(owners.groups)) ids.add(u.id.toLowerCase());
  return [...ids];
}

async function recordSecretProblem(
  deps: GuardrailDeps,
  vault: GuardedResourceRef,
  policyId: string,
  secret: SecretMetadata,
  problem: { problem: string; reason: string },
  extra: { eventId?: string; via: string; owners: string[] },
): Promise<boolean> {
  const key = secretKey(vault.id, secret, problem.problem);
  const result = await deps.audit.append(
    fitForLedger({
      action: 'guardrail.violation',
      actor: { name: `unknown (${extra.via})` },
      scope: vault.id,
      policyId,
      eventId: extra.eventId,
      reason: problem.reason,
      details: { object: 'secret', name: secret.name, version: secret.version ?? null, rule: problem.problem, expiresOn: secret.expiresOn?.toISOString() ?? null, via: extra.via },
    }),
    { idempotencyKey: key },
  );
  await notifySafely(deps, {
    kind: 'guardrail.violation',
    recipients: extra.owners,
    securityChannel: true,
    subject: `Secret policy violated: ${secret.name} in ${vault.name}`,
    text: `${problem.reason}.`,
    policyId,
    key,
  });
  return !isDuplicateAppend(result);
}

/**
 * keyVaultEvents: a new secret version is checked against the vault's own metadata (the event
 * is only the trigger; the vault's address comes from ARM, never from the event); near-expiry
 * and expiry tell the vault's owners; an access policy change re-judges the vault.
 */
export async function handleKeyVaultEvent(deps: GuardrailDeps, event: KeyVaultEvent, log: (line: string) => void): Promise<void> {
  const vault = guardedResourceOf(event.vaultId);
  if (!vault || vault.kind !== 'keyVault') return;
  if (event.eventType === 'Microsoft.KeyVault.VaultAccessPolicyChanged') {
    const report = await enforceGuardrails(deps, vault, { via: 'keyVaultEvent', eventId: event.eventId });
    log(`keyVaultEvents ${event.eventId}: access policies of ${vault.name} changed: ${JSON.stringify(report.outcomes)}`);
    return;
  }
  if (event.objectType.toLowerCase() !== 'secret') return;
  const rules = governingSecretRules(deps.policies, vault.id);
  if (!rules) return;
  const owners = await ownersOf(deps, rules.secrets.owners);
  const version = event.version ?? '';
  switch (event.eventType) {
    case 'Microsoft.KeyVault.SecretNewVersionCreated': {
      const snapshot = await deps.guardrails.resources.get(vault);
      if (!snapshot?.vaultUri) return;
      let found: SecretMetadata | undefined;
      for await (const page of deps.guardrails.secrets.versions(snapshot.vaultUri, event.objectName)) {
        found = page.find((s) => s.version?.toLowerCase() === version.toLowerCase());
        if (found) break;
      }
      if (!found) {
        log(`keyVaultEvents ${event.eventId}: ${event.objectName}/${version} is not in ${vault.name} (deleted since); nothing to judge`);
        return;
      }
      const problem = judgeSecret(found, rules.secrets.maxAgeMs, rules.secrets.maxAge, deps.clock.now());
      if (problem) {
        await recordSecretProblem(deps, vault, rules.policy.id, found, problem, { eventId: event.eventId, via: 'SecretNewVersionCreated', owners });
        log(`keyVaultEvents ${event.eventId}: ${problem.reason}`);
      }
      return;
    }
    case 'Microsoft.KeyVault.SecretNearExpiry':
    case 'Microsoft.KeyVault.SecretExpired': {
      const expired = event.eventType === 'Microsoft.KeyVault.SecretExpired';
      await notifySafely(deps, {
        kind: expired ? 'secret.expired' : 'secret.nearExpiry',
        recipients: owners,
        subject: `Secret ${expired ? 'expired' : 'expires soon'}: ${event.objectName} in ${vault.name}`,
        text: `${event.objectName} (version ${version || 'current'}) ${expired ? 'expired' : 'expires'}${event.exp ? ` at ${event.exp.toISOString()}` : ''}. Rotate it: set a new version with an expiry within ${rules.secrets.maxAge}.`,
        policyId: rules.policy.id,
        key: `${expired ? 'secret.expired' : 'secret.nearExpiry'}:${scopeKey(vault.id)}:${event.objectName.toLowerCase()}:${version.toLowerCase()}`,
      });
      return;
    }
    default:
      return;
  }
}

/** storageEvents: records the blob events a policy asks to watch, and does nothing else. */
export async function handleStorageEvent(deps: GuardrailDeps, event: StorageEvent, log: (line: string) => void): Promise<void> {
  const watched = watchedBlobEvents(deps.policies, event.accountId);
  if (!watched || !watched.types.includes(event.eventType)) return;
  await record(
    deps,
    {
      action: 'storage.blobEvent',
      actor: { name: `storage (${event.api})` },
      scope: event.accountId,
      policyId: watched.policy.id,
      eventId: event.eventId,
      reason: `${event.eventType.replace('Microsoft.Storage.', '')}: ${event.container}/${event.blobPath}`,
      details: { eventType: event.eventType, container: event.container, blob: event.blobPath, api: event.api, ...(event.contentLength !== undefined ? { contentLength: event.contentLength } : {}) },
    },
    `storage.blobEvent:${scopeKey(event.accountId)}:${event.eventId}`,
  );
  log(`storageEvents ${event.eventId}: ${event.eventType} ${event.accountName}/${event.container}/${event.blobPath} recorded`);
}

/**
 * Only decoding may refuse an event as bad input (400: Event Grid drops it). A validation failure
 * after that is ours: a 500, so Event Grid retries and finally dead-letters it where it is seen.
 */
async function afterDecoding(fn: string, eventId: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof ValidationError) throw new InternalError(`${fn} ${eventId}: handling a valid event failed: ${err.message}`, 'GuardrailFailed');
    throw err;
  }
}

/** The keyVaultEvents function, after its event was decoded: one event of a vault's system topic. */
export async function keyVaultEvents(deps: GuardrailDeps, event: KeyVaultEvent, log: (line: string) => void): Promise<void> {
  await afterDecoding('keyVaultEvents', event.eventId, () => handleKeyVaultEvent(deps, event, log));
}

/** The storageEvents function, after its event was decoded: one event of a storage account's system topic. */
export async function storageEvents(deps: GuardrailDeps, event: StorageEvent, log: (line: string) => void): Promise<void> {
  await afterDecoding('storageEvents', event.eventId, () => handleStorageEvent(deps, event, log));
}

/** The top scopes of a list: listing each once covers every scope below it. */
function topScopes(scopes: readonly string[]): string[] {
  const tops: string[] = [];
  for (const s of [...scopes].sort((a, b) => scopeDepth(a) - scopeDepth(b))) if (!tops.some((t) => isWithinScope(s, t))) tops.push(s);
  return tops;
}

async function* guardedResources(deps: GuardrailDeps, kind: GuardedResourceKind, scopes: readonly string[]): AsyncIterable<GuardedResourceSnapshot> {
  const seen = new Set<string>();
  for (const scope of topScopes(scopes)) {
    for await (const page of deps.guardrails.resources.list(scope, kind)) {
      for (const snapshot of page) {
        const key = scopeKey(snapshot.id);
        if (seen.has(key) || !isWithinScope(snapshot.id, scope)) continue;
        seen.add(key);
        yield snapshot;
      }
    }
  }
}

export interface GuardrailReconcileReport {
  resources: number;
  patched: number;
  violations: number;
  exceptionsEnded: number;
  failures: number;
}

/** Ends the exceptions whose time is up, recording each, and judges their resources again. */
export async function endGuardrailExceptions(deps: GuardrailDeps): Promise<{ ended: number; failures: number }> {
  const now = deps.clock.now();
  let ended = 0;
  let failures = 0;
  for (const resourceId of await deps.guardrails.states.withEndingExceptions(now)) {
    try {
      const ref = guardedResourceOf(resourceId);
      const known = await deps.guardrails.states.read(resourceId);
      if (!ref || !known) continue;
      const { ended: over } = withoutEndedExceptions(known.state, now);
      // Recorded before the exception leaves the state: a crash in between records nothing twice and loses nothing.
      for (const e of over) {
        await record(
          deps,
          {
            action: 'guardrail.exceptionEnded',
            actor: { id: deps.appPrincipalId, name: 'AccessManager' },
            scope: resourceId,
            requestId: e.requestId,
            grantId: e.id,
            reason: `the exception allowing ${e.property} = ${String(e.allowedValue)} ended at ${e.expiresAt}; the guardrail applies again`,
            details: { property: e.property, allowedValue: e.allowedValue },
          },
          `guardrail.exceptionEnded:${e.id}`,
        );
        await notifySafely(deps, {
          kind: 'guardrail.exceptionEnded',
          recipients: [e.requester.id],
          subject: `Exception ended: ${e.property} on ${ref.name}`,
          text: `Your exception allowing ${e.property} = ${String(e.allowedValue)} on ${resourceId} ended at ${e.expiresAt}. AccessManager applies the guardrail again.`,
          requestId: e.requestId,
          key: `guardrail.exceptionEnded:${e.id}`,
        });
      }
      await deps.guardrails.states.update(resourceId, (s) => withoutEndedExceptions(s, now).state, known);
      ended += over.length;
      await enforceGuardrails(deps, ref, { via: 'exceptionEnded', note: over.map((e) => `exception ${e.id} (${e.property} = ${String(e.allowedValue)}) ended at ${e.expiresAt}`).join('; ') || undefined });
    } catch (err) {
      failures++;
      console.warn(`guardrail exceptions: ${resourceId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { ended, failures };
}

/**
 * Reconcile for guardrails (events that never arrived): every storage account and vault under a
 * scope whose policy has guardrails for it is judged as an event would judge it.
 */
export async function reconcileGuardrails(deps: GuardrailDeps): Promise<GuardrailReconcileReport> {
  const exceptions = await endGuardrailExceptions(deps);
  const report: GuardrailReconcileReport = { resources: 0, patched: 0, violations: 0, exceptionsEnded: exceptions.ended, failures: exceptions.failures };
  for (const kind of ['storageAccount', 'keyVault'] as const) {
    try {
      for await (const snapshot of guardedResources(deps, kind, guardedScopes(deps.policies, kind))) {
        report.resources++;
        const ref = guardedResourceOf(snapshot.id);
        if (!ref) continue;
        try {
          const result = await enforceGuardrails(deps, ref, { via: 'reconcile' }, snapshot);
          report.patched += result.patched.length;
          report.violations += Object.values(result.outcomes).filter((o) => o === 'violation' || o === 'wouldRemediate' || o === 'contested').length;
        } catch (err) {
          report.failures++;
          console.warn(`reconcile guardrails: ${snapshot.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } catch (err) {
      report.failures++;
      console.warn(`reconcile guardrails: listing ${kind}s failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}

export interface SecretScanReport {
  vaults: number;
  secrets: number;
  violations: number;
  failures: number;
}

/** The timer's scan of secret metadata (attribute changes raise no event): every vault whose policy has secret rules. */
export async function scanSecrets(deps: GuardrailDeps): Promise<SecretScanReport> {
  const report: SecretScanReport = { vaults: 0, secrets: 0, violations: 0, failures: 0 };
  const scopes = deps.policies.policies.filter((p) => p.guardrails?.secrets).map((p) => p.scope);
  if (scopes.length === 0) return report;
  const now = deps.clock.now();
  for await (const vault of guardedResources(deps, 'keyVault', scopes)) {
    const ref = guardedResourceOf(vault.id);
    const rules = governingSecretRules(deps.policies, vault.id);
    if (!ref || !rules || !vault.vaultUri) continue;
    report.vaults++;
    try {
      const owners = await ownersOf(deps, rules.secrets.owners);
      for await (const page of deps.guardrails.secrets.list(vault.vaultUri)) {
        for (const secret of page) {
          report.secrets++;
          const problem = judgeSecret(secret, rules.secrets.maxAgeMs, rules.secrets.maxAge, now);
          // The listing names no version: the creation time tells versions apart.
          if (problem && (await recordSecretProblem(deps, ref, rules.policy.id, { ...secret, version: secret.version ?? secret.createdOn?.toISOString() }, problem, { via: 'secret scan', owners }))) report.violations++;
        }
      }
    } catch (err) {
      report.failures++;
      console.warn(`secret scan: ${vault.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}

/** Settings AccessManager stopped fixing because another automation fights it: for health and admins. */
export async function contestedGuardrails(deps: GuardrailDeps): Promise<Array<{ resourceId: string; property: string; until: string }>> {
  const now = deps.clock.now();
  const states = await deps.guardrails.states.contested(now);
  return states.flatMap((s) =>
    Object.entries(s.properties)
      .filter(([, p]) => p.contestedUntil !== undefined && Date.parse(p.contestedUntil) > now.getTime())
      .map(([property, p]) => ({ resourceId: s.resourceId, property, until: p.contestedUntil! })),
  );
}
