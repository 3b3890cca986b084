import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../shared/domain/errors';
import { PolicyLoadError, PolicySet, type PolicyProblem, type PolicySource } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const GROUP = '00000000-0000-4000-8000-000000000021';

/** A valid policy file; each test breaks one line. */
const valid = `id: weights
description: test policy
scope: ${SUB}/resourceGroups/rg-weights
mode: enforce
kind: rigid
roles:
  - role: Storage Blob Data Reader
    maxDuration: PT8H
    approvals: 2
    approvers:
      groups: [${GROUP}]
    justification:
      required: true
  - role: Storage Blob Data Contributor
    maxDuration: PT2H
    approvals: 3
    approvers:
      groups: [${GROUP}]
`;

function problemsOf(sources: PolicySource[]): PolicyProblem[] {
  try {
    PolicySet.fromSources(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyLoadError);
    return [...(err as PolicyLoadError).problems];
  }
  throw new Error('expected the policies to be refused');
}

const one = (text: string, file = 'policies/weights.yaml'): PolicyProblem[] => problemsOf([{ file, text }]);

test('the valid base loads', () => {
  expect(PolicySet.fromSources([{ file: 'policies/weights.yaml', text: valid }]).policies).toHaveLength(1);
});

describe('one bad line names file, path and reason', () => {
  test.each<[string, string, string, RegExp]>([
    ['wrong type (number as text)', '    approvals: 2\n', '    approvals: two\n', /^expected a number, got the text "two"$/],
    ['fractional approvals', '    approvals: 2\n', '    approvals: 1.5\n', /whole number/],
    ['zero approvals', '    approvals: 2\n', '    approvals: 0\n', /at least 1/],
    ['unknown role', '  - role: Storage Blob Data Contributor\n', '  - role: Storage Blob Writer\n', /unknown role "Storage Blob Writer".*display name.*GUID.*full role definition id/],
    ['months', '    maxDuration: PT2H\n', '    maxDuration: P1M\n', /years or months.*use days/],
    ['not a duration', '    maxDuration: PT2H\n', '    maxDuration: 2 hours\n', /not an ISO 8601 duration/],
    ['zero duration', '    maxDuration: PT2H\n', '    maxDuration: PT0S\n', /zero/],
    ['duration as a number', '    maxDuration: PT2H\n', '    maxDuration: 2\n', /expected text, got number 2/],
    ['bad regex', '      required: true\n', '      required: true\n      pattern: "[unclosed"\n', /not a valid regular expression/],
    ['min over max', '    maxDuration: PT2H\n', '    maxDuration: PT2H\n    minDuration: PT3H\n', /PT3H is longer than maxDuration PT2H/],
    ['approver not a GUID', `      groups: [${GROUP}]\n    justification`, '      groups: [weights-approvers]\n    justification', /Entra object id/],
    ['unknown key', '    maxDuration: PT8H\n', '    maxDuration: PT8H\n    maxDurtion: PT9H\n', /unknown key/],
    ['bad mode', 'mode: enforce\n', 'mode: enforcing\n', /must be one of "enforce", "audit" \(got the text "enforcing"\)/],
    ['renewable as text', '    approvals: 3\n', '    approvals: 3\n    renewable: "no"\n', /expected true or false/],
    ['bad channel', '    approvals: 3\n', '    approvals: 3\n    approvalChannel: email\n', /"teams", "web"/],
  ])('%s', (_name, from, to, reason) => {
    const text = valid.replace(from, to);
    expect(text).not.toBe(valid);
    const problems = one(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe('policies/weights.yaml');
    expect(problems[0]!.reason).toMatch(reason);
  });

  test.each<[string, string, string]>([
    ['roles[1].approvals', '    approvals: 3\n', '    approvals: three\n'],
    ['roles[1].maxDuration', '    maxDuration: PT2H\n', '    maxDuration: P1Y\n'],
    ['roles[1].role', '  - role: Storage Blob Data Contributor\n', '  - role: Nope\n'],
    ['roles[0].justification.pattern', '      required: true\n', '      required: true\n      pattern: "(a"\n'],
    ['roles[0].maxDurtion', '    maxDuration: PT8H\n', '    maxDuration: PT8H\n    maxDurtion: PT9H\n'],
    ['roles[0].approvers.groups[0]', `      groups: [${GROUP}]\n    justification`, '      groups: [x]\n    justification'],
    ['roles[1].minDuration', '    maxDuration: PT2H\n', '    maxDuration: PT2H\n    minDuration: PT3H\n'],
    ['mode', 'mode: enforce\n', ''],
  ])('reported at %s', (path, from, to) => {
    expect(one(valid.replace(from, to)).map((p) => p.path)).toEqual([path]);
  });
});

describe('policy-level rules', () => {
  test.each<[string, string, string, RegExp]>([
    ['role listed twice', '  - role: Storage Blob Data Contributor\n', '  - role: storage blob data reader\n', /already listed at roles\[0\]/],
    ['exception on a rigid policy', 'kind: rigid\n', `kind: rigid\nexception:\n  approvers:\n    groups: [${GROUP}]\n`, /only a flexible policy/],
    ['flexible without exception approvers', 'kind: rigid\n', 'kind: flexible\n', /needs exception.approvers/],
    ['scope outside a subscription', `scope: ${SUB}/resourceGroups/rg-weights\n`, 'scope: /resourceGroups/rg-weights\n', /not a management group or under a subscription/],
    ['subscription id not a GUID', `scope: ${SUB}/resourceGroups/rg-weights\n`, 'scope: /subscriptions/prod/resourceGroups/rg-weights\n', /not a management group or under a subscription/],
    ['scope with a dangling type', `scope: ${SUB}/resourceGroups/rg-weights\n`, `scope: ${SUB}/resourceGroups\n`, /type segment without its name/],
    ['id with spaces', 'id: weights\n', 'id: model weights\n', /letters, digits and dashes/],
    ['empty description', 'description: test policy\n', 'description: ""\n', /must not be empty/],
    ['no approvers', `      groups: [${GROUP}]\n    justification`, '      groups: []\n    justification', /at least one approver group or user/],
  ])('%s', (_name, from, to, reason) => {
    const problems = one(valid.replace(from, to));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.reason).toMatch(reason);
  });

  test('approvals no set of users can reach', () => {
    const text = valid.replace(`      groups: [${GROUP}]\n    justification`, '      users: [00000000-0000-4000-8000-000000000012]\n    justification');
    expect(one(text)).toEqual([{ file: 'policies/weights.yaml', path: 'roles[0].approvals', reason: expect.stringMatching(/2 distinct approvals can never be reached/) }]);
  });

  test('flexible exception approvers that cannot reach strictest + 1', () => {
    const text = valid.replace('kind: rigid\n', 'kind: flexible\nexception:\n  approvers:\n    users: [00000000-0000-4000-8000-000000000014, 00000000-0000-4000-8000-000000000012]\n');
    expect(one(text)).toEqual([{ file: 'policies/weights.yaml', path: 'exception.approvers', reason: expect.stringMatching(/need 4 distinct approvals/) }]);
  });

  test('assignment exemptions need a name or a role assignment id', () => {
    const text = `${valid}exemptions:\n  assignments:\n    - reason: nothing named\n    - id: ${SUB}/resourceGroups/x\n      reason: not an assignment\n    - id: ${SUB}/providers/Microsoft.Authorization/roleAssignments/0b5e1d9c-7a2f-4e3b-8c6d-1a0f9e8d7c6b\n      name: 9e7d5c3b-1a2f-4e6d-8c0b-17b7eac17017\n      reason: mismatch\n`;
    expect(one(text).map((p) => [p.path, p.reason.slice(0, 30)])).toEqual([
      ['exemptions.assignments[0]', 'name the assignment: `name` (i'],
      ['exemptions.assignments[1].id', `"${SUB}/resourceGroups/x" is no`.slice(0, 30)],
      ['exemptions.assignments[2].name', '"9e7d5c3b-1a2f-4e6d-8c0b-17b7e'],
    ]);
  });

  test('principal exemptions need an object id and a reason', () => {
    const text = `${valid}exemptions:\n  principals:\n    - id: breakglass\n      reason: ""\n`;
    expect(one(text).map((p) => p.path)).toEqual(['exemptions.principals[0].id', 'exemptions.principals[0].reason']);
  });
});

describe('YAML-level problems', () => {
  test('syntax error names line and column', () => {
    const problems = one(valid.replace('mode: enforce\n', 'mode: [enforce\n'));
    expect(problems[0]).toMatchObject({ file: 'policies/weights.yaml', path: expect.stringMatching(/^line \d+, column \d+$/), reason: expect.stringMatching(/^YAML syntax: /) });
  });

  test('a duplicate key is an error, not a silent override', () => {
    expect(one(`${valid}mode: audit\n`)[0]!.reason).toMatch(/YAML syntax: Map keys must be unique/);
  });

  test.each([
    ['', /empty/],
    ['# just a comment\n', /empty/],
    [`${valid}---\n${valid}`, /2 YAML documents/],
    ['- a\n- b\n', /expected a policy/],
    ['just text\n', /expected a policy/],
  ])('%j is refused', (text, reason) => {
    expect(one(text)).toEqual([{ file: 'policies/weights.yaml', path: '', reason: expect.stringMatching(reason) }]);
  });
});

describe('cross-file checks', () => {
  test('duplicate ids (any case) and duplicate scopes name both files', () => {
    const other = valid.replace('id: weights', 'id: WEIGHTS').replace('rg-weights', 'RG-Weights');
    const problems = problemsOf([
      { file: 'a.yaml', text: valid },
      { file: 'b.yaml', text: other },
    ]);
    expect(problems).toEqual([
      { file: 'b.yaml', path: 'id', reason: 'duplicate id "WEIGHTS": a.yaml already uses it' },
      { file: 'b.yaml', path: 'scope', reason: expect.stringMatching(/policy "weights" \(a\.yaml\) already governs/) },
    ]);
  });

  test('a duplicate id or scope is reported even when the duplicating file has other problems', () => {
    const broken = valid.replace('    approvals: 3\n', '    approvals: x\n');
    const problems = problemsOf([
      { file: 'a.yaml', text: valid },
      { file: 'b.yaml', text: broken },
    ]);
    expect(problems.map((p) => `${p.file}: ${p.path}`)).toEqual(['b.yaml: roles[1].approvals', 'b.yaml: id', 'b.yaml: scope']);
  });

  test('every problem of every file is reported at once, and the message lists them', () => {
    let error: PolicyLoadError | undefined;
    try {
      PolicySet.fromSources([
        { file: 'a.yaml', text: valid.replace('    approvals: 3\n', '    approvals: x\n') },
        { file: 'b.yaml', text: valid.replace('id: weights', 'id: b').replace('rg-weights', 'rg-b').replace('mode: enforce\n', '').replace('PT8H', 'P2M') },
      ]);
    } catch (err) {
      error = err as PolicyLoadError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => `${p.file}: ${p.path}`)).toEqual(['a.yaml: roles[1].approvals', 'b.yaml: mode', 'b.yaml: roles[0].maxDuration']);
    expect(error!.message).toMatch(/^Policies are invalid \(3 problems\):\n {2}a\.yaml: roles\[1\]\.approvals: expected a number/);
  });

  test('no sources at all is an error', () => {
    expect(problemsOf([])[0]!.reason).toMatch(/at least one policy/);
  });
});

describe('loadPolicies(dir)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'am-policies-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads *.yaml and *.yml, ignores other files and folders', async () => {
    await writeFile(join(dir, 'a.yaml'), valid);
    await writeFile(join(dir, 'b.YML'), valid.replace('id: weights', 'id: sandbox').replace('rg-weights', 'rg-sandbox'));
    await writeFile(join(dir, 'README.md'), '# not a policy');
    await mkdir(join(dir, 'drafts.yaml'));
    const set = await loadPolicies(dir);
    expect(set.policies.map((p) => p.source)).toEqual([join(dir, 'a.yaml'), join(dir, 'b.YML')]);
  });

  test('a bad file fails the whole load: there is no partial PolicySet', async () => {
    await writeFile(join(dir, 'a.yaml'), valid);
    await writeFile(join(dir, 'b.yaml'), valid.replace('id: weights', 'id: b').replace('rg-weights', 'rg-b').replace('PT8H', 'P1Y'));
    await expect(loadPolicies(dir)).rejects.toThrow(PolicyLoadError);
    await expect(loadPolicies(dir)).rejects.toThrow(`${join(dir, 'b.yaml')}: roles[0].maxDuration: "P1Y" uses years or months`);
  });

  test('an empty or missing folder is an error', async () => {
    await expect(loadPolicies(dir)).rejects.toThrow(/no policy files/);
    await expect(loadPolicies(join(dir, 'missing'))).rejects.toThrow(/cannot read the policies folder/);
  });
});
