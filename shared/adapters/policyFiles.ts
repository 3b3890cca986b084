/**
 * Reads the policy folder (every `*.yaml` / `*.yml`) into a PolicySet. All files are read
 * before anything is decoded, and any problem throws: there is no partial result.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyLoadError } from '../domain/policy/problems';
import { PolicySet, type PolicySource } from '../domain/policy/policySet';

const POLICY_FILE = /\.ya?ml$/i;

export async function loadPolicies(dir: string): Promise<PolicySet> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && POLICY_FILE.test(e.name)).map((e) => e.name).sort();
  } catch (err) {
    throw new PolicyLoadError([{ file: dir, path: '', reason: `cannot read the policies folder: ${(err as Error).message}` }]);
  }
  if (names.length === 0) {
    throw new PolicyLoadError([{ file: dir, path: '', reason: 'no policy files (*.yaml, *.yml) in this folder: AccessManager needs at least one policy' }]);
  }
  const sources: PolicySource[] = await Promise.all(names.map(async (name) => ({ file: join(dir, name), text: await readFile(join(dir, name), 'utf8') })));
  return PolicySet.fromSources(sources);
}
