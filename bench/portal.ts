/**
 * The portal's figures: the JavaScript it ships (bytes, gzipped) and each page's first render in
 * headless Chromium against the local stack, from navigation start until the page's heading is
 * up with its data loaded (sign-in done beforehand; /.auth/me and the page's API calls included).
 * Median and worst of BENCH_PORTAL_RUNS navigations per page. Skipped without Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromiumInstalled, launchOffline } from '../dev/chromium';
import { startLocalStack } from '../dev/localStack';
import { portalDir } from '../functions/http/portal';

const PAGES = ['/requests', '/request', '/grants', '/approvals', '/admin/access', '/admin/audit', '/admin/enforcement'];

export interface PortalFigures {
  javascript: { bytes: number; gzipBytes: number; budgetGzipBytes: number };
  css: { bytes: number; gzipBytes: number };
  firstRenderMs?: Record<string, { median: number; max: number }>;
  skipped?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchPortal(options: { runs: number; log: (line: string) => void }): Promise<PortalFigures> {
  const dir = portalDir();
  if (!dir) throw new Error('The portal is not built: npm run build first.');
  const js = readFileSync(join(dir, 'app.js'));
  const css = readFileSync(join(dir, 'app.css'));
  const figures: PortalFigures = {
    javascript: { bytes: js.length, gzipBytes: gzipSync(js, { level: 9 }).length, budgetGzipBytes: 100 * 1024 },
    css: { bytes: css.length, gzipBytes: gzipSync(css, { level: 9 }).length },
  };
  if (!chromiumInstalled) return { ...figures, skipped: 'no Chromium at /usr/bin/chromium' };

  const stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
  const browser = await launchOffline();
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // erin (admin) sees every page; one request so the lists are not empty.
    await page.goto(`${stack.url}/.auth/login/aad?login_hint=erin%40contoso.test&post_login_redirect_uri=%2Frequests`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const firstRenderMs: Record<string, { median: number; max: number }> = {};
    for (const path of PAGES) {
      const times: number[] = [];
      for (let i = 0; i < options.runs; i++) {
        await page.goto(`${stack.url}${path}`, { waitUntil: 'commit' });
        // Rendered: the heading is there and nothing says "Loading" any more.
        await page.waitForFunction(() => document.querySelector('h1') !== null && document.querySelector('.loading') === null, undefined, { polling: 'raf' });
        times.push(await page.evaluate(() => performance.now()));
      }
      firstRenderMs[path] = { median: Math.round(median(times)), max: Math.round(Math.max(...times)) };
      options.log(`portal ${path}: first render median ${firstRenderMs[path]!.median} ms, worst ${firstRenderMs[path]!.max} ms (${options.runs} runs)`);
    }
    return { ...figures, firstRenderMs };
  } finally {
    await browser.close();
    await stack.stop();
  }
}
