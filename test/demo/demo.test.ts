/**
 * The demo end to end, in-process: it starts its own local stack, must succeed, and must tell
 * the story a security engineer watches for (approvals, grant, rogue revocation, expiry, audit).
 */
import { runDemo, type DemoReport } from '../../dev/demo';

const STAMPED = /^\[ *\d+ ms\]( |$)/;

let lines: string[];
let report: DemoReport;

beforeAll(async () => {
  lines = [];
  report = await runDemo({ writeLine: (line) => lines.push(line) });
}, 30_000);

const has = (pattern: RegExp) => lines.some((line) => pattern.test(line));

// No wall-time bound here: the suite shares the machine; the demo itself takes about a second alone.
it('succeeds and stamps every line with its elapsed time', () => {
  expect(lines.length).toBeGreaterThan(20);
  for (const line of lines) expect(line).toMatch(STAMPED);
});

it('narrates the request, its policy and both approvals', () => {
  expect(has(/\(a\) alice requests Storage Blob Data Reader on rg-weights for PT8H/)).toBe(true);
  expect(has(/policy model-weights \(enforce, rigid; max PT8H\): 2 distinct approvals from weights-approvers/)).toBe(true);
  expect(has(/bob approves +-> pending, 1 of 2/)).toBe(true);
  expect(has(new RegExp(`carol approves -> approved, 2 of 2; grant ${report.grantId.slice(0, 8)} active until`))).toBe(true);
  expect(has(/Storage Blob Data Reader for alice at rg-weights, created by AccessManager/)).toBe(true);
});

it('shows the rogue assignment revoked, with dave and mallory in the audit record', () => {
  expect(has(/PUT rg-weights\/\.\.\.\/roleAssignments\/[0-9a-f]{8} as dave -> 201/)).toBe(true);
  expect(has(/revoked by the enforcer \d+ ms after dave's PUT/)).toBe(true);
  expect(has(/audit: assignment\.revoked \(enforce, policy model-weights\): made by dave@contoso\.test for mallory/)).toBe(true);
  expect(report.rogueRevokedMs).toBeGreaterThan(0);
});

it('shows expiry removing the assignment, the audit table and a verified ledger', () => {
  expect(has(/POST \/admin\/functions\/expireGrants -> 202/)).toBe(true);
  expect(has(/expired at .*-> 404, the assignment is gone/)).toBe(true);
  const table = lines.map((l) => l.replace(STAMPED, '').trim());
  const actions = table.filter((l) => /^\d\d:\d\d:\d\d /.test(l)).map((l) => l.split(/\s+/)[1]);
  expect(actions).toEqual(['request.created', 'approval.recorded', 'approval.recorded', 'grant.created', 'grant.expired']);
  expect(has(/GET \/api\/audit\/verify -> ok: \d+ records checked/)).toBe(true);
});

it('ends with the timings and stops the stack', () => {
  expect(report.timings.map((t) => t.step)).toEqual(
    expect.arrayContaining(['start the local stack', '(a) create request', '(b) approval 2 of 2 + grant', '(d) rogue assignment revoked', '(e) expireGrants: grant expired and audited']),
  );
  expect(has(/\(g\) timings/)).toBe(true);
  expect(lines.at(-1)).toMatch(/stack stopped$/);
});
