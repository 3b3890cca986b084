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
