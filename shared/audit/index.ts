/** The tamper-evident audit ledger: what the rest of the app imports. */
export { canonicalJson, sha256Hex } from './canonicalJson';
export { AUDIT_ACTIONS, GENESIS_PREV_HASH, auditEntrySchema, auditRecordSchema, hashOf, parseAuditEntry, recordId, sealRecord } from './record';
export type { AuditAction, AuditActor, AuditEntry, AuditRecord } from './record';
export { isDuplicateAppend, chainAnchorSchema } from './ports';
export type { AnchorSink, AppendOptions, AuditSink, ChainAnchor, DuplicateAppend } from './ports';
export { AuditLedger, MARKER_ID_PREFIX } from './ledger';
export type { AuditLedgerOptions } from './ledger';
export { CosmosAnchorSink } from './cosmosAnchorSink';
export { verifyAuditLedger } from './verifyLedger';
export type { AuditVerification, VerifyLedgerOptions } from './verifyLedger';
export { queryAuditRecords } from './queryAudit';
export type { AuditQueryPage } from './queryAudit';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, parseAuditQueryFilter, decodeContinuationToken, encodeContinuationToken } from './queryPlan';
export type { AuditQueryFilter } from './queryPlan';
export { ChainWalker, verifyChainRecords } from './chainVerifier';
export type { ChainVerdict } from './chainVerifier';
export { MemoryAuditSink } from './memoryAuditSink';
