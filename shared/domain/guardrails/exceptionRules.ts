/**
 * The rule for guardrail exception requests: which setting of which storage account or vault may
 * hold which value, for how long, on whose approval. Pure, like the role request rules it sits
 * beside: the result is a request draft that goes through the same store, approval rule
 * (distinct approvers, never the requester), Teams cards and audit as a role request.
 *
 * An exception is only possible where the governing policy's guardrails take exceptions
 * (`guardrails.exceptions`), for a setting it guards, for a value the setting can hold and the
 * guardrail does not already allow, within the policy's longest exception, with a justification
 * and a compensating control.
 */
import { armScopeProblem, normalizeScope, sameId, scopeKey } from '../armIds';
import { AppError, ForbiddenError, ValidationError } from '../errors';
import { checkDuration, formatDuration } from '../policy/duration';
import type { PolicySet } from '../policy/policySet';
import type { RequestDraft, Requester } from '../requests/model';
import { MAX_TEXT_LENGTH, MIN_GRANT_DURATION_MS, scopeLabel, type NewRequestResult } from '../requests/rules';
import { freeTextProblem, hasVisibleText } from '../text';
import { governingGuardrails } from './governing';
import { complies, guardedProperty, guardedResourceOf, isPossibleValue } from './properties';

export interface GuardrailExceptionCommand {
  /** The storage account or vault id. */
  scope: string;
  property: string;
  allowedValue: unknown;
  duration: string;
  justification: string;
  compensatingControl: string;
  requester: Requester;
}

const fail = (error: AppError): NewRequestResult => ({ ok: false, error });

/** The same free-text rule as a role request's justification: visible text, no control or bidirectional characters. */
function text(value: string, what: string, code: string, field: string): AppError | undefined {
  const trimmed = value.trim();
  const unsafe = freeTextProblem(trimmed, field);
  if (unsafe) return new ValidationError(`${unsafe}.`, code.replace(/Required$/, 'Invalid'));
  if (!hasVisibleText(trimmed)) return new ValidationError(`A guardrail exception needs ${what}.`, code);
  if (trimmed.length > MAX_TEXT_LENGTH) return new ValidationError(`The ${what.replace(/^an? /, '')} is ${trimmed.length} characters; keep it to ${MAX_TEXT_LENGTH}.`, code);
  return undefined;
}

export function evaluateGuardrailException(command: GuardrailExceptionCommand, policies: PolicySet, now: Date): NewRequestResult {
  const problem = armScopeProblem(command.scope.trim());
  const scope = normalizeScope(command.scope.trim());
  const ref = problem ? undefined : guardedResourceOf(scope);
  if (!ref || scopeKey(ref.id) !== scopeKey(scope)) {
    return fail(new ValidationError(`"${command.scope.slice(0, 200)}" is not the id of a storage account or key vault; a guardrail exception names one.`, 'InvalidScope'));
  }
  const governing = governingGuardrails(policies, ref.id, ref.kind);
  if (!governing) return fail(new ForbiddenError(`No policy guards ${ref.name}: there is nothing to make an exception to.`, 'NoGuardrails'));
  const where = `${ref.name} (policy ${governing.policy.id})`;
  const terms = governing.guardrails.exceptions;
  if (!terms) return fail(new ForbiddenError(`Policy ${governing.policy.id} takes no guardrail exceptions (guardrails.exceptions is not set) for ${scopeLabel(ref.id)}.`, 'GuardrailExceptionsNotAllowed'));
  const rule = governing.rules.find((r) => r.property === command.property);
  const property = guardedProperty(ref.kind, command.property);
  if (!rule || !property) {
    return fail(new ValidationError(`${where} has no guardrail on "${String(command.property).slice(0, 100)}"; it guards ${governing.rules.map((r) => r.property).join(', ')}.`, 'UnknownGuardrail'));
  }
  if (!isPossibleValue(property, command.allowedValue)) {
    const values = property.values === 'boolean' ? 'true or false' : property.values.join(', ');
    return fail(new ValidationError(`${command.property} cannot be ${JSON.stringify(command.allowedValue)}; it takes ${values}.`, 'InvalidAllowedValue'));
  }
  if (complies(property, rule.value, command.allowedValue)) {
    return fail(new ValidationError(`${command.property} = ${String(command.allowedValue)} already keeps the guardrail on ${where}: no exception is needed.`, 'ExceptionNotNeeded'));
  }
  const checked = checkDuration(command.duration);
  if (!checked.ok) return fail(new ValidationError(`Invalid duration: ${checked.reason}.`, 'InvalidDuration'));
  if (checked.ms <= 0) return fail(new ValidationError(`Invalid duration: "${command.duration}" is zero; ask for a positive duration such as P1D.`, 'InvalidDuration'));
  if (checked.ms < MIN_GRANT_DURATION_MS) {
    return fail(new ValidationError(`"${command.duration}" is shorter than one minute, the shortest exception AccessManager puts in force; ask for PT1M or more.`, 'DurationTooShort'));
  }
  if (checked.ms > terms.maxDurationMs) {
    return fail(new ValidationError(`${formatDuration(checked.ms)} exceeds the longest guardrail exception on ${where}, ${terms.maxDuration}; ask for ${terms.maxDuration} or less.`, 'DurationTooLong'));
  }
  const bad =
    text(command.justification, 'a justification: say why the guardrail must give way', 'JustificationRequired', 'The justification') ??
    text(command.compensatingControl, 'a compensating control: say what protects the resource meanwhile', 'CompensatingControlRequired', 'The compensating control');
  if (bad) return fail(bad);
  const eligibleUsers = terms.approvers.users.filter((u) => !sameId(u, command.requester.id));
  if (terms.approvers.groups.length === 0 && eligibleUsers.length < terms.approvals) {
    return fail(new ForbiddenError(`Nobody else can approve this: ${terms.approvals} distinct approvals are needed and only ${eligibleUsers.length} approver(s) other than you are listed.`, 'NoEligibleApprovers'));
  }
  const allowedValue = command.allowedValue as string | boolean;
  const draft: RequestDraft = {
    kind: 'guardrailException',
    guardrail: { resourceKind: ref.kind, property: rule.property, allowedValue, requiredValue: rule.value, compensatingControl: command.compensatingControl.trim() },
    requester: { id: command.requester.id, name: command.requester.name },
    principalId: command.requester.id,
    scope: ref.id,
    roleDefinitionId: '',
    roleName: `Guardrail exception: ${rule.property} = ${String(allowedValue)}`,
    duration: formatDuration(checked.ms),
    durationMs: checked.ms,
    justification: command.justification.trim(),
    policyId: governing.policy.id,
    status: 'pending',
    approvals: [],
    requiredApprovals: terms.approvals,
    approverGroups: [...terms.approvers.groups],
    approverUsers: [...terms.approvers.users],
    exception: false,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + governing.policy.pendingRequestTtlMs).toISOString(),
    approvalChannel: 'teams',
    maxDurationMs: terms.maxDurationMs,
  };
  return { ok: true, draft };
}
