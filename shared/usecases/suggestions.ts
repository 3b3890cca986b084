/**
 * Role suggestions: the narrowest roles for a need at a scope. The deterministic engine over
 * ARM's role catalog is the authority; a language model, when one is configured, may read a
 * free-text need into operations, candidate roles and a narrower scope, and everything it says is
 * re-checked (unknown operations and ids dropped, scopes outside the request refused or not found
 * in ARM) before it reaches the answer, which says which parts came from the model. Every model
 * call is recorded (`suggestion.made`: deployment, hashes of prompt and answer, the result).
 */
import { performance } from 'node:perf_hooks';
import type { Caller } from '../domain/caller';
import { armScopeProblem, isWithinScope, normalizeScope, roleDefinitionId, sameScope, subscriptionOf } from '../domain/armIds';
import { AppError, NotFoundError, ValidationError } from '../domain/errors';
import { answerDigest, buildAdvicePrompt, parseAdvice, promptDigest, type ModelAdvice } from '../domain/suggestions/advice';
import type { RoleCatalog } from '../domain/suggestions/catalog';
import { checkNeed, describeNeedProblems, measureRole, rankRoles, type Breadth, type ExtraPermission, type Need, type RankedRole } from '../domain/suggestions/engine';
import { operationShape } from '../domain/suggestions/operations';
import { requestability } from '../domain/suggestions/requestable';
import { scopeShape } from '../domain/suggestions/scopeShape';
import type { Deps } from '../ports/deps';
import { catalogAt } from './roleCatalog';

type SuggestionDeps = Pick<Deps, 'roleDefinitions' | 'advisor' | 'policies' | 'audit'>;

/** Roles listed in an answer: enough to choose from; the narrowest come first. */
export const MAX_SUGGESTIONS = 10;

export interface SuggestionInput {
  scope: string;
  actions?: string[];
  dataActions?: string[];
  /** Free text, read by the model when one is configured. */
  need?: string;
}

export interface SuggestionItem {
  roleName: string;
  /** Full role definition id at the scope's subscription (what a request takes as `role`). */
  roleDefinitionId: string;
  roleType: string;
  /** Where to ask for it. */
  scope: string;
  /** Grants exactly the needed operations. */
  exact: boolean;
  /** What else it grants at the scope, counted by tier (see the ranking rule). */
  breadth: Breadth;
  /** Each permission it grants beyond the need. */
  extra: ExtraPermission[];
  /** Whether the policy that governs the scope lets it be requested. */
  requestable: boolean;
  policyId?: string;
  /** Requestable only as an exception request (flexible policy). */
  asException?: boolean;
  /** The model named it among its candidates (the engine ranked it). */
  fromModel?: boolean;
}

export interface ModelPart {
  deployment: string;
  /** What the model's reading contributed after checking; `dropped` says what was left out and why. */
  actions: string[];
  dataActions: string[];
  roleIds: string[];
  scope?: string;
  explanation: string;
  dropped: string[];
}

export interface SuggestionResult {
  items: SuggestionItem[];
  requiredActions: string[];
  requiredDataActions: string[];
  source: 'catalog' | 'model+catalog';
  /** Where the suggested roles apply: the scope asked about, narrowed by the model or widened by the operations. */
  scope: string;
  /** How many roles in the catalog cover the need there (items shows the first ones). */
  covering: number;
  model?: ModelPart;
  note?: string;
}

const uniq = (names: readonly string[]) => [...new Set(names)];

async function loadCatalog(deps: SuggestionDeps, scope: string): Promise<RoleCatalog> {
  try {
    return await catalogAt(deps.roleDefinitions, scope);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`The scope ${scope} does not exist in Azure; check its spelling (resource names are exact).`, 'ScopeNotFound');
    throw err;
  }
}

type ModelOutcome = 'answered' | 'refused' | 'invalid' | 'failed';

interface ModelReading {
  outcome: ModelOutcome;
  part?: ModelPart;
  need: Need;
  scope?: string;
  catalog?: RoleCatalog;
  error?: unknown;
  reason?: string;
}

/** Asks the model, records the call, and keeps only what the engine can verify. */
async function readWithModel(deps: SuggestionDeps, caller: Caller, text: string, scope: string, catalog: RoleCatalog): Promise<ModelReading> {
  const advisor = deps.advisor!;
  const prompt = buildAdvicePrompt({ need: text, scope, roles: catalog.roles.map((r) => ({ guid: r.definition.guid, roleName: r.definition.roleName })) });
  const started = performance.now();
  let reading: ModelReading;
  let answerHash: string | undefined;
  let model: string | undefined;
  try {
    const answer = await advisor.complete(prompt);
    model = answer.model;
    answerHash = answerDigest(answer.content ?? answer.refusal ?? '');
    if (answer.content === null || answer.refusal) {
      reading = { outcome: 'refused', need: { actions: [], dataActions: [] }, reason: `the model refused${answer.refusal ? `: ${answer.refusal.slice(0, 200)}` : ''}` };
    } else if (answer.finishReason && answer.finishReason !== 'stop') {
      reading = { outcome: 'invalid', need: { actions: [], dataActions: [] }, reason: `the model stopped early (${answer.finishReason})` };
    } else {
      const parsed = parseAdvice(answer.content);
      reading = parsed.ok ? await verifyAdvice(deps, parsed.advice, scope, catalog, advisor.deployment) : { outcome: 'invalid', need: { actions: [], dataActions: [] }, reason: parsed.reason };
    }
  } catch (err) {
    reading = { outcome: 'failed', need: { actions: [], dataActions: [] }, error: err, reason: err instanceof Error ? err.message : String(err) };
  }
  await deps.audit.append(
    {
      action: 'suggestion.made',
      actor: { id: caller.id, name: caller.name },
      scope,
      ...(reading.outcome === 'answered' ? {} : { reason: (reading.reason ?? reading.outcome).slice(0, 2000) }),
      details: {
        deployment: advisor.deployment,
        ...(model ? { model } : {}),
        promptSha256: promptDigest(prompt),
        ...(answerHash ? { answerSha256: answerHash } : {}),
        result: reading.outcome,
        ms: Math.round(performance.now() - started),
        ...(reading.part
          ? {
              actions: reading.part.actions.slice(0, 10),
              dataActions: reading.part.dataActions.slice(0, 10),
              roleIds: reading.part.roleIds.slice(0, 5),
              ...(reading.part.scope ? { narrowedScope: reading.part.scope } : {}),
              dropped: reading.part.dropped.length,
            }
          : {}),
      },
    },
    { shardKey: caller.id },
  );
  return reading;
}

async function verifyAdvice(deps: SuggestionDeps, advice: ModelAdvice, scope: string, catalog: RoleCatalog, deployment: string): Promise<ModelReading> {
  const dropped: string[] = [];
  const accept = (names: readonly string[], kind: 'actions' | 'dataActions'): string[] => {
    const kept: string[] = [];
    for (const name of names) {
      const checked = checkNeed(catalog, kind === 'actions' ? { actions: [name], dataActions: [] } : { actions: [], dataActions: [name] });
      if (checked.ok) kept.push(...checked.need.actions, ...checked.need.dataActions);
      else dropped.push(describeNeedProblems(checked.problems));
    }
    return uniq(kept);
  };
  const actions = accept(advice.actions, 'actions');
  const dataActions = accept(advice.dataActions, 'dataActions');
  const roleIds: string[] = [];
  for (const id of advice.roleIds) {
    if (catalog.role(id)) roleIds.push(id.toLowerCase());
    else dropped.push(`role id "${id.slice(0, 100)}" is not in the catalog`);
  }
  let narrowed: string | undefined;
  let narrowedCatalog: RoleCatalog | undefined;
  if (advice.scope !== null && advice.scope.trim() !== '' && !sameScope(advice.scope.trim(), scope)) {
    const candidate = normalizeScope(advice.scope.trim());
    const problem = armScopeProblem(advice.scope.trim());
    if (problem) dropped.push(`scope "${candidate.slice(0, 300)}" is not an ARM scope (${problem})`);
    else if (!isWithinScope(candidate, scope)) dropped.push(`scope ${candidate.slice(0, 300)} is outside the scope asked about`);
    else {
      try {
        narrowedCatalog = await catalogAt(deps.roleDefinitions, candidate);
        narrowed = candidate;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        dropped.push(`scope ${candidate.slice(0, 300)} does not exist`);
      }
    }
  }
  const part: ModelPart = { deployment, actions, dataActions, roleIds: uniq(roleIds), ...(narrowed ? { scope: narrowed } : {}), explanation: advice.explanation, dropped };
  return { outcome: 'answered', part, need: { actions, dataActions }, ...(narrowed ? { scope: narrowed, catalog: narrowedCatalog } : {}) };
}

function itemOf(deps: SuggestionDeps, r: RankedRole, scope: string, fromModel: boolean): SuggestionItem {
  const subscriptionId = subscriptionOf(scope);
  const req = requestability(deps.policies, r.definition.guid, scope);
  return {
    roleName: r.definition.roleName,
    roleDefinitionId: subscriptionId ? roleDefinitionId(subscriptionId, r.definition.guid) : r.definition.id,
    roleType: r.definition.roleType,
    scope,
    exact: r.exact,
    breadth: r.breadth,
    extra: r.extra,
    requestable: req.requestable,
    ...(req.policyId ? { policyId: req.policyId } : {}),
    ...(req.asException ? { asException: true } : {}),
    ...(fromModel ? { fromModel: true } : {}),
  };
}

/** Data objects inside a resource (a blob, a file, a queue message) are not scopes a role can be assigned at. */
const DATA_OBJECTS = new Set(['blobs', 'files', 'messages', 'entities']);

/** At a group or subscription, a need that acts inside one kind of resource is better granted on one such resource. */
function narrowerHint(need: Need, scope: string): string | undefined {
  const level = scopeShape(scope).level;
  if (level !== 'resourceGroup' && level !== 'subscription') return undefined;
  const names = [...need.actions, ...need.dataActions];
  const shapes = names.map(operationShape);
  const first = shapes[0];
  if (!first || shapes.some((s) => !s || s.provider !== first.provider)) return undefined;
  let depth = Math.min(...shapes.map((s) => s!.types.length));
  while (depth > 0 && !shapes.every((s) => s!.types.slice(0, depth).join('/') === first.types.slice(0, depth).join('/'))) depth--;
  while (depth > 0 && DATA_OBJECTS.has(first.types[depth - 1]!)) depth--;
  if (depth === 0) return undefined;
  // The published spelling of provider and types, from the first operation's name.
  const segments = names[0]!.split('/');
  const types = segments.slice(1, 1 + depth);
  const path = types.map((t) => (/services$/i.test(t) ? `${t}/default` : `${t}/{name}`)).join('/');
  return `Narrower still: these operations act inside one ${types[types.length - 1]} resource, so ask for the role on the one you need (${scope}/providers/${segments[0]}/${path}) rather than the whole ${level === 'resourceGroup' ? 'resource group' : 'subscription'}.`;
}

export async function suggestRoles(deps: SuggestionDeps, caller: Caller, input: SuggestionInput): Promise<SuggestionResult> {
  const rawScope = input.scope.trim();
  const problem = armScopeProblem(rawScope);
  if (problem) throw new ValidationError(`"${rawScope.slice(0, 200)}" is not an ARM scope (${problem}); send one like /subscriptions/<id>/resourceGroups/<name>.`, 'InvalidScope');
  const scope = normalizeScope(rawScope);
  const text = input.need?.trim() ?? '';
  const asked: Need = { actions: input.actions ?? [], dataActions: input.dataActions ?? [] };
  if (asked.actions.length + asked.dataActions.length === 0 && text === '') {
    throw new ValidationError('Nothing to go on: send the operations you need (actions and/or dataActions) or describe the need in words (need).', 'NothingToGoOn');
  }
  if (asked.actions.length + asked.dataActions.length === 0 && !deps.advisor) {
    throw new ValidationError(
      'No language model is configured here (AZURE_OPENAI_ENDPOINT), so a need in words cannot be read: send the operations you need as actions and/or dataActions.',
      'ModelNotConfigured',
    );
  }

  const catalog = await loadCatalog(deps, scope);
  const checked = checkNeed(catalog, asked);
  if (!checked.ok) throw new ValidationError(`Unknown operations: ${describeNeedProblems(checked.problems)}.`, 'UnknownAction', { problems: checked.problems });

  const notes: string[] = [];
  let reading: ModelReading | undefined;
  if (text !== '') {
    if (!deps.advisor) notes.push('The need in words was not read: no language model is configured here (AZURE_OPENAI_ENDPOINT); the roles below answer the operations sent.');
    else reading = await readWithModel(deps, caller, text, scope, catalog);
  }
  const callerOnly = checked.need.actions.length + checked.need.dataActions.length > 0;
  if (reading && reading.outcome !== 'answered') {
    if (!callerOnly) {
      if (reading.outcome === 'failed' && reading.error instanceof AppError) throw reading.error;
      if (reading.outcome === 'failed') throw reading.error instanceof Error ? reading.error : new Error(String(reading.error));
      throw new ValidationError(`The need could not be read (${reading.reason ?? reading.outcome}); rephrase it, or send the operations as actions and/or dataActions.`, 'NeedNotUnderstood');
    }
    notes.push(`The model could not read the need (${reading.reason ?? reading.outcome}); the roles below answer the operations sent.`);
  }

  const need: Need = {
    actions: uniq([...checked.need.actions, ...(reading?.need.actions ?? [])]),
    dataActions: uniq([...checked.need.dataActions, ...(reading?.need.dataActions ?? [])]),
  };
  if (need.actions.length + need.dataActions.length === 0) {
    const why = reading?.part?.explanation ? ` The model said: ${reading.part.explanation}` : '';
    throw new ValidationError(`Nothing to go on: the need names no Azure operation this catalog knows; send actions and/or dataActions.${why}`, 'NothingToGoOn');
  }

  const rankScope = reading?.scope ?? scope;
  const rankCatalog = reading?.catalog ?? catalog;
  const ranking = rankRoles(rankCatalog, need, rankScope, MAX_SUGGESTIONS);
  const modelRoles = new Set(reading?.part?.roleIds ?? []);
  const items = ranking.roles.map((r) => itemOf(deps, r, ranking.scope, modelRoles.has(r.definition.guid)));
  for (const guid of modelRoles) {
    if (items.some((i) => i.roleDefinitionId.toLowerCase().endsWith(guid))) continue;
    const role = rankCatalog.role(guid)!;
    const measured = measureRole(rankCatalog, role, need, rankScope);
    if (measured.covers) items.push(itemOf(deps, measured, ranking.scope, true));
    else reading!.part!.dropped.push(`the model's candidate ${role.definition.roleName} does not cover ${[...measured.missing.actions, ...measured.missing.dataActions].join(', ')} at ${ranking.scope}`);
  }

  if (ranking.widenedFrom) notes.push(`Some operations act above ${ranking.widenedFrom}, so the roles are shown at ${ranking.scope}.`);
  if (reading?.scope) notes.push(`The model narrowed the scope to ${reading.scope}, which exists.`);
  if (items.length === 0) notes.push('No role in the catalog grants all of these operations at this scope: ask an administrator for a custom role.');
  else if (!items.some((i) => i.requestable)) notes.push('None of these roles can be requested here under the governing policy: ask its owners.');
  const hint = narrowerHint(need, ranking.scope);
  if (hint) notes.push(hint);

  return {
    items,
    requiredActions: need.actions as string[],
    requiredDataActions: need.dataActions as string[],
    source: reading?.outcome === 'answered' ? 'model+catalog' : 'catalog',
    scope: ranking.scope,
    covering: ranking.covering,
    ...(reading?.part ? { model: reading.part } : {}),
    ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
  };
}
