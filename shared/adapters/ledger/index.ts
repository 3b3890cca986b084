/** The tamper-evident audit ledger: what the rest of the app imports. */
export { canonicalJson, sha256Hex } from '../../domain/audit/canonicalJson';
export { AUDIT_ACTIONS, GENESIS_PREV_HASH, auditEntrySchema, auditRecordSchema, hashOf, parseAuditEntry, recordId, sealRecord } from '../../domain/audit/record';
export type { AuditAction, AuditActor, AuditEntry, AuditRecord } from '../../domain/audit/record';
export { isDuplicateAppend, chainAnchorSchema } from '../../ports/audit';
export type { AnchorSink, AppendOptions, AuditSink, ChainAnchor, DuplicateAppend } from '../../ports/audit';
export { AuditLedger, MARKER_ID_PREFIX } from './ledger';
export type { AuditLedgerOptions } from './ledger';
export { CosmosAnchorSink } from './cosmosAnchorSink';
export { verifyAuditLedger } from './verifyLedger';
export type { AuditVerification, VerifyLedgerOptions } from './verifyLedger';
export { queryAuditRecords } from './queryAudit';
export type { AuditQueryPage } from './queryAudit';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, parseAuditQueryFilter, decodeContinuationToken, encodeContinuationToken } from '../../domain/audit/queryPlan';
export type { AuditQueryFilter } from '../../domain/audit/queryPlan';
export { ChainWalker, verifyChainRecords } from '../../domain/audit/chainVerifier';
export type { ChainVerdict } from '../../domain/audit/chainVerifier';
export { MemoryAuditSink } from './memoryAuditSink';
