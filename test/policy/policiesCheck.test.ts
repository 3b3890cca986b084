import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPoliciesCheck } from '../../dev/policiesCheck';

function capture(): { lines: string[]; errors: string[]; print: (l: string) => void; printError: (l: string) => void } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, print: (l) => lines.push(l), printError: (l) => errors.push(l) };
}

test('the seed policies pass with one line per policy', async () => {
  const out = capture();
  const dir = join(__dirname, '../../policies');
  expect(await runPoliciesCheck(dir, out.print, out.printError)).toBe(0);
  expect(out.errors).toEqual([]);
  expect(out.lines).toHaveLength(5);
  expect(out.lines).toContain(
    `model-weights: enforce, rigid, /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights; Storage Blob Data Reader (max PT8H, 2 approvals), Storage Blob Data Contributor (max PT2H, 3 approvals); 0 exemption(s) [${join(dir, 'model-weights.yaml')}]`,
  );
  expect(out.lines[4]).toBe(`4 policies OK in ${dir}`);
});

test('a broken folder exits 1 with every precise problem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'am-check-'));
  try {
    await writeFile(
      join(dir, 'bad.yaml'),
      'id: bad\ndescription: x\nscope: /subscriptions/00000000-0000-0000-0000-000000000001\nmode: enforce\nroles:\n  - role: Readr\n    maxDuration: P1M\n    approvals: 1\n    approvers: {groups: [00000000-0000-4000-8000-000000000022]}\n',
    );
    const out = capture();
    expect(await runPoliciesCheck(dir, out.print, out.printError)).toBe(1);
    expect(out.lines).toEqual([]);
    expect(out.errors[0]).toBe(`Policies in ${dir} are invalid (2):`);
    expect(out.errors[1]).toMatch(new RegExp(`^  ${join(dir, 'bad.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: roles\\[0\\]\\.role: unknown role "Readr"`));
    expect(out.errors[2]).toMatch(/roles\[0\]\.maxDuration: "P1M" uses years or months/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exception.roles is reported, and privileged roles in it are called out for review', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'am-check-'));
  try {
    await writeFile(
      join(dir, 'research.yaml'),
      [
        'id: research',
        'description: Research.',
        'scope: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-research',
        'mode: enforce',
        'kind: flexible',
        'roles:',
        '  - role: Key Vault Secrets User',
        '    maxDuration: PT4H',
        '    approvals: 1',
        '    approvers: {groups: [00000000-0000-4000-8000-000000000022]}',
        'exception:',
        '  approvers: {groups: [00000000-0000-4000-8000-000000000022]}',
        '  roles: [Storage Blob Data Reader, User Access Administrator]',
        '',
      ].join('\n'),
    );
    const out = capture();
    expect(await runPoliciesCheck(dir, out.print, out.printError)).toBe(0);
    expect(out.lines).toContain('  research: exception.roles allows Storage Blob Data Reader, User Access Administrator as exception requests');
    expect(out.lines).toContain(
      '  NOTE research: exception.roles lets privileged role(s) User Access Administrator be requested as exceptions (they can grant access to others); review that this is intended',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
