/**
 * `access-manager policies init`: starter policies for a real tenant. Reads each subscription
 * through ARM (./armInventory.ts), turns what it holds into audit-mode policies that exempt
 * today's standing access (shared/domain/policy/starter.ts), checks them exactly as AccessManager
 * loads policies at start-up, and only then writes them, for review in git.
 */
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { isGuid } from '../shared/domain/armIds';
import { PolicySet } from '../shared/domain/policy';
import { starterPolicies, type StarterPolicy } from '../shared/domain/policy/starter';
import { readSubscription, type ArmOptions } from './armInventory';

export interface PoliciesInitOptions {
  subscriptions: readonly string[];
  out: string;
  approverGroups: readonly string[];
  /** Replace the policy files already in `out`. */
  force: boolean;
  arm: ArmOptions;
  credential: TokenCredential;
  now: Date;
}

export interface PoliciesInitResult {
  written: StarterPolicy[];
  removed: string[];
  inherited: number;
}

/** A problem with what was asked (reported as a usage error). */
export class PoliciesInitError extends Error {}

const POLICY_FILE = /\.ya?ml$/i;

async function existingPolicyFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && POLICY_FILE.test(e.name)).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

export async function policiesInit(o: PoliciesInitOptions): Promise<PoliciesInitResult> {
  if (o.subscriptions.length === 0) throw new PoliciesInitError('Name the subscription to read: --subscription <id> (repeatable).');
  for (const id of [...o.subscriptions, ...o.approverGroups]) {
    if (!isGuid(id)) throw new PoliciesInitError(`${JSON.stringify(id)} is not a GUID: subscriptions and approver groups are named by id.`);
  }
  const existing = await existingPolicyFiles(o.out);
  if (existing.length > 0 && !o.force) {
    throw new PoliciesInitError(
      `${o.out} already holds ${existing.length} policy file(s) (${existing.join(', ')}): pass --force to replace them (git keeps the old ones), or write elsewhere with --out.`,
    );
  }
  const inventories = [];
  for (const id of o.subscriptions) inventories.push(await readSubscription(o.credential, id.toLowerCase(), o.arm));
  const { policies, inherited } = starterPolicies(inventories, {
    date: o.now.toISOString().slice(0, 10),
    source: o.subscriptions.length === 1 ? `subscription ${o.subscriptions[0]}` : `subscriptions ${o.subscriptions.join(', ')}`,
    approverGroups: o.approverGroups,
  });
  // The same checks as start-up: a starter that AccessManager would refuse is never written.
  PolicySet.fromSources(policies.map((p) => ({ file: p.file, text: p.text })));
  await mkdir(o.out, { recursive: true });
  for (const name of existing) await unlink(join(o.out, name));
  for (const p of policies) await writeFile(join(o.out, p.file), p.text, 'utf8');
  return { written: policies, removed: existing, inherited };
}
