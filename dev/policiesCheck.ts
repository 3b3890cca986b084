/**
 * `node dist/dev/policiesCheck.js [dir]` (default `policies`): loads the policy folder as the
 * app would at start-up and prints one line per policy, or every problem and exit code 1.
 * `npm test` runs it, so a bad policy edit fails CI before it can reach an environment.
 */
import { formatProblem, PolicyLoadError, type Policy } from '../shared/domain/policy';
import { loadPolicies } from '../shared/adapters/policyFiles';
import { isPrivilegedRole } from '../shared/domain/permissions';
import { findBuiltInRole } from '../shared/domain/roles';

/** Privileged roles a policy lets people ask for as exceptions: each deserves a second look in review. */
export function privilegedExceptionRoles(policy: Policy): string[] {
  return (policy.exception?.roles ?? []).filter((r) => {
    const role = findBuiltInRole(r.roleDefinitionGuid);
    return role !== undefined && isPrivilegedRole(role);
  }).map((r) => r.roleName);
}

export function summarize(policy: Policy): string {
  const roles =
    policy.roles.map((r) => `${r.roleName} (max ${r.maxDuration}, ${r.approvals} approval${r.approvals === 1 ? '' : 's'})`).join(', ') ||
    'no requestable roles';
  const exemptions = policy.exemptions.principals.length + policy.exemptions.assignments.length;
  return `${policy.id}: ${policy.mode}, ${policy.kind}, ${policy.scope}; ${roles}; ${exemptions} exemption(s) [${policy.source}]`;
}

/** Loads `dir` and reports; returns the process exit code. */
export async function runPoliciesCheck(dir: string, print: (line: string) => void = console.log, printError: (line: string) => void = console.error): Promise<number> {
  try {
    const set = await loadPolicies(dir);
    for (const policy of set.policies) {
      print(summarize(policy));
      const exceptions = policy.exception?.roles;
      if (exceptions) print(`  ${policy.id}: exception.roles allows ${exceptions.map((r) => r.roleName).join(', ')} as exception requests`);
      const privileged = privilegedExceptionRoles(policy);
      if (privileged.length > 0) {
        print(`  NOTE ${policy.id}: exception.roles lets privileged role(s) ${privileged.join(', ')} be requested as exceptions (they can grant access to others); review that this is intended`);
      }
    }
    print(`${set.policies.length} policies OK in ${dir}`);
    return 0;
  } catch (err) {
    if (!(err instanceof PolicyLoadError)) throw err;
    printError(`Policies in ${dir} are invalid (${err.problems.length}):`);
    for (const problem of err.problems) printError(`  ${formatProblem(problem)}`);
    return 1;
  }
}

if (require.main === module) {
  runPoliciesCheck(process.argv[2] ?? 'policies').then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
