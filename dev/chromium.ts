/**
 * Debian's Chromium for browser tests and the portal benchmark, as DESIGN.md "Browser tests" says: headless, no sandbox
 * or GPU, nothing that phones home, a profile of its own, and every request off this machine
 * aborted. `chromiumInstalled` lets a test skip (never fail) where Chromium is missing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const chromiumInstalled = existsSync(CHROMIUM);

export interface OfflineBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context in a fresh profile that can reach localhost and 127.0.0.1 only. */
export async function launchOffline(options: { acceptDownloads?: boolean } = {}): Promise<OfflineBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'am-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: options.acceptDownloads ?? false,
  });
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    return hostname === 'localhost' || hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
