/**
 * `node dist/dev/policiesCheck.js [dir]` (default `policies`): loads the policy folder as the
 * app would at start-up and prints one line per policy, or every problem and exit code 1.
 * `npm test` runs it, so a bad policy edit fails CI before it can reach an environment.
 */
import { formatProblem, PolicyLoadError, type Policy } from '../shared/domain/policy';
import { loadPolicies } from '../shared/adapters/policyFiles';

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
    for (const policy of set.policies) print(summarize(policy));
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
