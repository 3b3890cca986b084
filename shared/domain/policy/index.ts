/** Policy as code: the model and the PolicySet the rest of the app asks (files are read by adapters/policyFiles). */
export * from './types';
export { PolicyLoadError, formatProblem, type PolicyProblem } from './problems';
export { PolicySet, exceptionTerms, findPolicyRole, type PolicySource } from './policySet';
export { requestableCatalog } from './catalog';
