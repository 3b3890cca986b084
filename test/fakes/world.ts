/**
 * A whole AccessManager built from fakes typed by the ports, in one process and without a
 * server, store or simulator process: in-memory repositories, an in-memory audit trail, ARM and
 * Graph over the simulator's seeded model (dev/sim), the real policies and the real use cases.
 * `call()` sends an HTTP request through the registration table's handlers in-process, the way
 * the Functions host would route it (the hono way: no socket in between).
 */
import { governedScopes } from '../../shared/domain/governance';
import { join } from 'node:path';
import { HttpRequest, HttpResponse, InvocationContext, type HttpMethod, type HttpResponseInit } from '@azure/functions';
import { methodNotAllowed, notFound } from '../../dev/host/hostResponses';
import { compileRouteTemplate, resolveRoute, type RoutedFunction } from '../../dev/host/routeTemplate';
import { SimState } from '../../dev/sim/state';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE } from '../../dev/tenant';
import { functionTable } from '../../functions/table';
import type { HttpFunction } from '../../functions/types';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import type { App } from '../../shared/compositionRoot';
import { loadConfig, type Config } from '../../shared/config';
import { principalHeaders } from '../../shared/domain/caller';
import { ManualClock } from '../../shared/domain/clock';
import type { Deps } from '../../shared/ports/deps';
import { MemoryAuditTrail } from './audit';
import { SimDirectory, SimRoleAssignments } from './azure';
import { InMemoryBreakers, InMemoryConversations, InMemoryGrants, InMemoryRequests, InMemoryRevocations, InMemoryRogueActors, InMemorySelfAccess, WriteCounter } from './stores';
import { BUILT_IN_DEFINITIONS, KNOWN_OPERATIONS } from '../suggestions/catalogData';
import { fakeGuardrails, type FakeGuardrails } from './guardrails';

export interface World {
  deps: Deps;
  app: App;
  clock: ManualClock;
  requests: InMemoryRequests;
  grants: InMemoryGrants;
  breakers: InMemoryBreakers;
  audit: MemoryAuditTrail;
  notifier: RecordingNotifier;
  arm: SimRoleAssignments;
  /** Storage accounts and vaults over the simulator's model, guardrail state in memory. */
  guardrails: FakeGuardrails;
  directory: SimDirectory;
  /** The simulator's seeded tenant model (role assignments, directory) behind `arm` and `directory`. */
  sim: SimState;
  /** Writes to requests, grants and coverage so far (audit records: `audit.records.length`). */
  writes(): number;
  /** Sends one HTTP request through the function table; `as` signs it in with Easy Auth headers. */
  call<T = unknown>(method: HttpMethod, path: string, init?: CallInit): Promise<CallAnswer<T>>;
}

export interface CallInit {
  as?: { id: string; name: string; roles?: string[] };
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallAnswer<T> {
  status: number;
  body: T & { error?: { code: string; message: string } };
  headers: Headers;
}

export interface WorldOptions {
  now?: Date;
  policiesDir?: string;
  settings?: Record<string, string>;
}

export function localConfig(settings: Record<string, string> = {}): Config {
  return loadConfig({
    ACCESSMANAGER_ENV: 'local',
    AZURE_TENANT_ID: LOCAL_TENANT_ID,
    AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
    ACCESSMANAGER_PRINCIPAL_ID: PEOPLE.accessManager,
    BREAKGLASS_PRINCIPAL_IDS: PEOPLE.breakglass,
    COSMOS_ENDPOINT: 'https://localhost:8081',
    COSMOS_KEY: 'in-memory',
    ...settings,
  });
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const config = localConfig(options.settings);
  const clock = new ManualClock(options.now ?? new Date());
  const policies = (await loadPolicies(options.policiesDir ?? join(__dirname, '../../policies'))).withStandingExemptions(
    config.BREAKGLASS_PRINCIPAL_IDS.map((id) => ({ id, reason: 'break-glass account (BREAKGLASS_PRINCIPAL_IDS): never revoked' })),
  );
  const counter = new WriteCounter();
  const sim = new SimState(true);
  const requests = new InMemoryRequests(counter);
  const grants = new InMemoryGrants(counter);
  const breakers = new InMemoryBreakers();
  const audit = new MemoryAuditTrail(() => clock.now());
  const notifier = new RecordingNotifier();
  const arm = new SimRoleAssignments(sim, config.ACCESSMANAGER_PRINCIPAL_ID, () => clock.now());
  const directory = new SimDirectory(sim);
  const guardrails = fakeGuardrails(sim);
  const deps: Deps = {
    config,
    clock,
    policies,
    requests,
    grants,
    breakers,
    selfAccess: new InMemorySelfAccess(),
    revocations: new InMemoryRevocations(),
    rogueActors: new InMemoryRogueActors(),
    // The policy set took effect when the world started: what the seed holds is standing.
    policySetEffectiveAt: clock.now().toISOString(),
    audit,
    conversations: new InMemoryConversations(),
    roleAssignments: arm,
    guardrails,
    directory,
    notifier,
    pingStore: async () => undefined,
    // The simulator's built-in catalog, no custom roles, no model.
    roleDefinitions: { builtIn: async () => BUILT_IN_DEFINITIONS, operations: async () => KNOWN_OPERATIONS, customAt: async () => [] },
    advisor: undefined,
    appPrincipalId: config.ACCESSMANAGER_PRINCIPAL_ID.toLowerCase(),
    pacing: { background: (work) => work() },
    governed: governedScopes({
      defaultSubscription: config.AZURE_SUBSCRIPTION_ID,
      subscriptions: config.GOVERNED_SUBSCRIPTION_IDS,
      policyReach: { scopes: policies.policies.map((p) => p.scope), subscriptions: policies.governedSubscriptions() },
    }),
  };
  const app: App = { deps, teams: undefined, close: async () => undefined };
  const routes: RoutedFunction<HttpFunction>[] = functionTable(async () => app)
    .filter((f): f is HttpFunction => f.kind === 'http')
    .map((f) => ({ route: compileRouteTemplate(f.route), methods: f.methods, target: f }));

  const call = async <T>(method: HttpMethod, path: string, init: CallInit = {}): Promise<CallAnswer<T>> => {
    const url = new URL(path, 'http://localhost:7071');
    const segments = url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    // host.json's route prefix is "": the table's routes carry api/ themselves, as the Functions host sees them.
    const resolved = resolveRoute(routes, method, segments);
    // What the host answers itself when no function serves the path or the method.
    const unrouted = resolved.kind === 'notFound' ? notFound(`No function serves ${url.pathname}.`) : resolved.kind === 'methodNotAllowed' ? methodNotAllowed(method, resolved.allow) : undefined;
    const headers: Record<string, string> = { ...(init.as ? principalHeaders(init.as) : {}), ...init.headers };
    let body: { string: string } | undefined;
    if (init.body !== undefined) {
      body = { string: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) };
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    let answered: HttpResponseInit;
    if (resolved.kind === 'match') {
      const request = new HttpRequest({ method, url: url.href, headers, params: resolved.params, ...(body ? { body } : {}) });
      answered = await resolved.target.handler(request, new InvocationContext({ functionName: resolved.target.name }));
    } else answered = unrouted!;
    const answer = new HttpResponse(answered);
    const text = await answer.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: answer.status, body: parsed as CallAnswer<T>['body'], headers: answer.headers as unknown as Headers };
  };

  return { deps, app, clock, requests, grants, breakers, audit, notifier, arm, guardrails, directory, sim, writes: () => counter.writes, call };
}
