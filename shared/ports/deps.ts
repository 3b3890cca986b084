/**
 * Everything a use case may depend on: ports, built once by the composition root
 * (shared/compositionRoot.ts). Use cases take the parts they need (`Pick<Deps, ...>`); unit
 * tests pass small fakes typed by the port.
 */
import type { Clock } from '../domain/clock';
import type { PolicySet } from '../domain/policy';
import type { Config } from '../config';
import type { GovernedScopes } from '../domain/governance';
import type { WorkPacing } from './pacing';
import type { AuditTrail } from './audit';
import type { BreakerRepository } from './breakers';
import type { ConversationRepository } from './conversations';
import type { Directory } from './directory';
import type { GrantRepository } from './grants';
import type { Notifier } from './notifier';
import type { RequestRepository } from './requests';
import type { RoleAssignments } from './roleAssignments';
import type { RevocationIntentRepository, RogueActorRepository, SelfAccessRepository } from './enforcementState';
import type { RoleDefinitions } from './roleDefinitions';
import type { NeedAdvisor } from './advisor';
import type { GuardrailPorts } from './guardrails';

export interface Deps {
  config: Config;
  clock: Clock;
  policies: PolicySet;
  requests: RequestRepository;
  /** Grants and their coverage index. */
  grants: GrantRepository;
  breakers: BreakerRepository;
  /** Whether AccessManager still holds its permission, and its own assignments as last seen. */
  selfAccess: SelfAccessRepository;
  /** Revocations decided and not yet confirmed by ARM (recorded only once ARM confirms). */
  revocations: RevocationIntentRepository;
  /** Rogue creations per actor, for the security alert naming repeat offenders. */
  rogueActors: RogueActorRepository;
  /**
   * When the policy set in force took effect (first seen by any instance). Assignments created
   * before it are standing access: the blast-radius breaker protects them (domain/enforcement/breaker).
   */
  policySetEffectiveAt: string;
  audit: AuditTrail;
  /** Where the Teams bot can reach each person. */
  conversations: ConversationRepository;
  roleAssignments: RoleAssignments;
  /** Storage accounts and key vaults (ARM), their guardrail state (store) and secret metadata (vault data plane). */
  guardrails: GuardrailPorts;
  /** ARM's role catalog (role definitions and provider operations), cached. */
  roleDefinitions: RoleDefinitions;
  /** The model that reads free-text needs; undefined when no Azure OpenAI endpoint is configured. */
  advisor: NeedAdvisor | undefined;
  directory: Directory;
  notifier: Notifier;
  /** Resolves when the store answers (health). */
  pingStore(): Promise<void>;
  /** Object id of AccessManager's own identity: exempt everywhere, its writes are ours. */
  appPrincipalId: string;
  /** The subscriptions and management groups AccessManager acts in (configuration; domain/governance). */
  governed: GovernedScopes;
  /** Marks work whose ARM calls may wait for event enforcement's (reconcile, expiry). */
  pacing: WorkPacing;
}
