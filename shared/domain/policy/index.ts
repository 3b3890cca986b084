/** Policy as code: the model, its schema and the PolicySet the rest of the app asks (files are read by adapters/policyFiles). */
export * from './types';
export { checkDuration, formatDuration, parseDuration, MAX_DURATION_MS, type DurationCheck } from './duration';
export { policySchema, ACCEPTED_ROLE_FORMS, DEFAULT_BREAKER, DEFAULT_PENDING_REQUEST_TTL, type DecodedPolicy } from './schema';
export { PolicyLoadError, formatProblem, formatPath, type PolicyProblem } from './problems';
export { PolicySet, decodePolicySource, exceptionTerms, findPolicyRole, type ExemptionMatch, type PolicySource } from './policySet';
export { requestableCatalog, type CatalogEntry, type CatalogRole } from './catalog';
