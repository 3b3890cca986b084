/** What the benchmarks share: sizes from the environment, and synthetic people in the simulated directory. */
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../dev/localStack';
import { ConfigError } from '../shared/domain/errors';

/** A whole number from the environment (at least `min`), or `fallback` when unset. */
export function envCount(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be a whole number of at least ${min} (got ${JSON.stringify(raw)}).`);
  return value;
}

export interface BenchUser {
  id: string;
  name: string;
}

/** People added to the simulated directory, one (principal, role, scope) triple each: ARM allows one assignment per triple. */
export function addUsers(stack: LocalStack, count: number, tag: string): BenchUser[] {
  return Array.from({ length: count }, (_, i) => {
    const local = `bench-${tag}-${String(i).padStart(5, '0')}`;
    const user = { id: randomUUID(), name: `${local}@contoso.test` };
    stack.sim.state.directory.add({ kind: 'User', id: user.id, displayName: local, givenName: local, surname: 'Bench', jobTitle: 'Researcher', userPrincipalName: user.name, mail: user.name });
    return user;
  });
}
