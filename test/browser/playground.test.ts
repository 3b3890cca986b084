/**
 * Approving in a real browser: the local stack, the Microsoft 365 Agents Playground signed in
 * as bob (a weights approver) and pointed at /api/messages, and headless Debian Chromium driven
 * by playwright-core. alice asks for access through the API; the approval card reaches bob's
 * Playground chat through the conversation the Playground opened with the bot; Chromium clicks
 * Approve on the rendered card; the approval must then be on the request and in the audit.
 *
 * Skipped, with a message, where /usr/bin/chromium is missing (CI installs it in .ci/run).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { LocalStack } from '../../dev/localStack';
import { PEOPLE, RG } from '../../dev/tenant';
import { as, auditOf, startTestStack, USERS, waitFor, type RequestDto } from '../e2e/helpers';
import { startPlayground, type Playground } from './playground';

const CHROMIUM = '/usr/bin/chromium';
/** Headless in a container: no sandbox or GPU, and nothing that would phone home on start. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const COMMENT = 'ok from the Playground';

const chromiumInstalled = existsSync(CHROMIUM);
if (!chromiumInstalled) {
  console.warn(`test/browser/playground.test.ts SKIPPED: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) to run the browser test; CI does.`);
}
const describeWithChromium = chromiumInstalled ? describe : describe.skip;

describeWithChromium('approving in the Agents Playground (headless Chromium)', () => {
  let stack: LocalStack;
  let playground: Playground;
  let browser: BrowserContext;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    stack = await startTestStack();
    playground = await startPlayground({
      botEndpoint: `${stack.url}/api/messages`,
      currentUser: { objectId: USERS.bob.id, upn: USERS.bob.name },
      otherUsers: [USERS.alice, USERS.carol, USERS.erin, USERS.dave, USERS.mallory].map((u) => ({ objectId: u.id, upn: u.name })),
    });
    userDataDir = await mkdtemp(join(tmpdir(), 'am-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 } });
    // Offline by construction: the Playground's web fonts (Office CDN) and anything else off this machine are refused.
    await browser.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      return hostname === 'localhost' || hostname === '127.0.0.1' ? route.continue() : route.abort();
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await playground?.stop();
    await stack?.stop();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  /** On failure: a screenshot and the Playground's output, so the failure can be seen, not guessed. */
  async function explainFailure(err: unknown): Promise<never> {
    const dir = await mkdtemp(join(tmpdir(), 'am-browser-failure-'));
    const shot = join(dir, 'playground.png');
    await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    console.error(`Browser test failed; screenshot: ${shot}\nPlayground output:\n${playground?.output()}`);
    throw err;
  }

  it('bob clicks Approve on the rendered card: the approval is on the request and in the audit', async () => {
    try {
      // Once its page is open, the Playground opens bob's personal chat with the bot (installationUpdate,
      // conversationUpdate): from then on the bot reaches bob there instead of the simulator.
      await page.goto(playground.url);
      const connector = `${playground.url}/_connector`;
      await waitFor(async () => {
        const { resource } = await stack.containers.state.item(`conv:${PEOPLE.bob}`, `conv:${PEOPLE.bob}`).read<{ serviceUrl?: string }>();
        return resource?.serviceUrl?.startsWith(connector);
      }, `bob's conversation reference to point at the Playground (${connector})`, 20_000);

      const alice = as(stack, USERS.alice);
      const created = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'evaluate checkpoint 42' });
      expect(created.status).toBe(201);
      const { id } = created.body;

      const card = page.locator('.ac-adaptiveCard').filter({ hasText: id });
      await card.getByRole('button', { name: 'Approve' }).waitFor({ state: 'visible', timeout: 20_000 });
      await card.getByRole('textbox').fill(COMMENT);
      await card.getByRole('button', { name: 'Approve' }).click();

      // bob's card changes to his decision: the invoke answer ("You approved. 1 more approval is
      // needed.") and the notifier's in-place update ("You approved this at ...") race; either says it.
      await card.filter({ hasText: /You approved/ }).waitFor({ timeout: 20_000 });
      await expect(card.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);

      const request = (await alice.get<RequestDto>(`/api/requests/${id}`)).body;
      expect(request.status).toBe('pending');
      expect(request.approvals).toEqual([expect.objectContaining({ approverId: PEOPLE.bob, comment: COMMENT })]);
      const approvals = (await auditOf(stack, id)).filter((r) => r.action === 'approval.recorded');
      expect(approvals).toEqual([expect.objectContaining({ actor: expect.objectContaining({ id: PEOPLE.bob }), requestId: id })]);
    } catch (err) {
      await explainFailure(err);
    }
  }, 60_000);
});
