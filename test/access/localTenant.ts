/** Test helpers against a local stack: call the API as a local-tenant user, approve a request end to end, make an assignment behind AccessManager's back. */
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import type { LocalStack } from '../../dev/localStack';
import { principalHeaders } from '../../shared/domain/caller';
import { PEOPLE, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { ADMIN_ROLE } from '../../shared/domain/caller';

export type LocalUser = keyof typeof PEOPLE;

export function headersOf(user: LocalUser): Record<string, string> {
  return principalHeaders({ id: PEOPLE[user], name: `${user}@contoso.test`, roles: user === 'erin' ? [ADMIN_ROLE] : [] });
}

export async function apiAs<T = Record<string, unknown>>(stack: LocalStack, user: LocalUser, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...headersOf(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** Creates a request as `requester` and has each approver approve it through the API; returns the request as last answered. */
export async function approvedRequest(
  stack: LocalStack,
  requester: LocalUser,
  input: { scope: string; role: string; duration: string; justification?: string },
  approvers: LocalUser[],
): Promise<{ id: string; status: string; grantId?: string }> {
  const created = await apiAs<{ id: string; status: string }>(stack, requester, 'POST', '/api/requests', { justification: 'evaluation run', ...input });
  if (created.status !== 201) throw new Error(`createRequest answered ${created.status}: ${JSON.stringify(created.body)}`);
  let last: { id: string; status: string; grantId?: string } = created.body;
  for (const approver of approvers) {
    const answer = await apiAs<{ id: string; status: string; grantId?: string }>(stack, approver, 'POST', `/api/requests/${created.body.id}/approve`, { comment: `ok from ${approver}` });
    if (answer.status !== 200) throw new Error(`approveRequest as ${approver} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    last = answer.body;
  }
  return last;
}

/** A role assignment written straight to the simulated ARM as dave, with no Event Grid event: the enforcer never hears of it. */
export async function outOfBandAssignment(stack: LocalStack, scope: string, principalId: string, roleGuid: string): Promise<string> {
  const name = randomUUID();
  const dispatcher = new Agent({ connect: { ca: stack.ca } });
  try {
    const res = await fetch(`${stack.sim.url}${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-sim-caller': PEOPLE.dave, 'x-sim-events': 'off' },
      body: JSON.stringify({ properties: { roleDefinitionId: `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`, principalId } }),
      dispatcher,
    } as RequestInit);
    if (res.status !== 201 && res.status !== 200) throw new Error(`the simulator refused the assignment: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  } finally {
    await dispatcher.close();
  }
}
