/**
 * Well-known ids of the local tenant of API.md. Only the simulator, the seed and tests use
 * these; production code takes every id from configuration and policy.
 */
export const LOCAL_TENANT_ID = '00000000-0000-0000-0000-0000000000f0';
export const LOCAL_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000001';
export const SUBSCRIPTION_SCOPE = `/subscriptions/${LOCAL_SUBSCRIPTION_ID}`;
/** A second subscription in `mg-research` (training runs): governed through the management group. */
export const TRAINING_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000002';
export const TRAINING_SUBSCRIPTION_SCOPE = `/subscriptions/${TRAINING_SUBSCRIPTION_ID}`;
/** A subscription directly under the tenant root group, outside the governed management group: AccessManager never acts there. */
export const UNGOVERNED_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000009';
export const UNGOVERNED_SUBSCRIPTION_SCOPE = `/subscriptions/${UNGOVERNED_SUBSCRIPTION_ID}`;

const oid = (nn: string): string => `00000000-0000-4000-8000-0000000000${nn}`;

export const PEOPLE = {
  alice: oid('11'),
  bob: oid('12'),
  carol: oid('13'),
  erin: oid('14'),
  dave: oid('15'),
  mallory: oid('16'),
  breakglass: oid('17'),
  accessManager: oid('18'),
} as const;

export const GROUPS = {
  weightsApprovers: oid('21'),
  securityTeam: oid('22'),
} as const;

/** The management group above the subscription (under the tenant root group). */
export const MANAGEMENT_GROUP = {
  name: 'mg-research',
  scope: '/providers/Microsoft.Management/managementGroups/mg-research',
} as const;

/** The tenant root group: every tenant has one, named after the tenant id. */
export const TENANT_ROOT_GROUP_SCOPE = `/providers/Microsoft.Management/managementGroups/${LOCAL_TENANT_ID}`;

export const RG = {
  weights: `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights`,
  research: `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-research`,
  sandbox: `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-sandbox`,
  training: `${TRAINING_SUBSCRIPTION_SCOPE}/resourceGroups/rg-training`,
  external: `${UNGOVERNED_SUBSCRIPTION_SCOPE}/resourceGroups/rg-external`,
} as const;

/** dave's pre-existing Owner assignment at the subscription: the declared baseline. */
export const DAVE_BASELINE_ASSIGNMENT_NAME = '0b5e1d9c-7a2f-4e3b-8c6d-1a0f9e8d7c6b';
/** AccessManager's own assignment (User Access Administrator at the subscription) so it can grant and revoke. */
export const APP_ASSIGNMENT_NAME = '6a1c0e7d-3b9f-4c2a-8d5e-18a0c0ffee18';
/** breakglass's standing Owner assignment. */
export const BREAKGLASS_ASSIGNMENT_NAME = '9e7d5c3b-1a2f-4e6d-8c0b-17b7eac17017';
