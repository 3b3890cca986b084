/**
 * Everything a use case may depend on, built once by the composition root
 * (shared/app/compositionRoot.ts). Use cases take the parts they need; tests pass fakes.
 */
import type { RoleAssignments } from './roleAssignments';
import type { AuditLedger } from '../adapters/ledger';
import type { Clock } from '../domain/clock';
import type { Config } from '../config';
import type { Directory } from './directory';
import type { Notifier } from './notifier';
import type { PolicySet } from '../domain/policy';
import type { Stores } from '../adapters/cosmos/containers';

export interface Deps {
  config: Config;
  clock: Clock;
  stores: Stores;
  policies: PolicySet;
  roleAssignments: RoleAssignments;
  directory: Directory;
  audit: AuditLedger;
  notifier: Notifier;
  /** Object id of AccessManager's own identity: exempt everywhere, its writes are ours. */
  appPrincipalId: string;
  /** Releases clients, timers and flushes the audit anchors. */
  close(): Promise<void>;
}
