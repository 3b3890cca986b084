/**
 * The deployable package: its size, and how long Node takes to import its `main` against the
 * build's (dist/functions/index.js), each in a fresh process as a cold start has it, alternating
 * so both meet the same machine load. Also the time until everything the first invocation needs
 * is loaded (the package's main plus its app.js; the build loads everything at import).
 * Targets (issue 15): zip at most 15 MB; package main at most 40% of the build's import.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage } from '../deploy/package';
import type { LoadReport } from '../deploy/loadPackage';

const run = promisify(execFile);
const TARGETS = { zipMaxMB: 15, importRatioMax: 0.4 };

async function loadOnce(root: string, entry: string, loadApp: boolean): Promise<LoadReport> {
  const args = [join(root, 'dist', 'deploy', 'loadPackage.js'), entry, ...(loadApp ? ['--load-app'] : [])];
  const { stdout } = await run(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadReport;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

export async function benchPackage(runs: number, log: (line: string) => void): Promise<Record<string, unknown>> {
  const root = join(__dirname, '..', '..');
  const out = mkdtempSync(join(tmpdir(), 'accessmanager-bench-package-'));
  try {
    const pkg = await buildPackage({ root, outDir: out });
    const zipMB = pkg.zipBytes / 1024 / 1024;
    log(`package: ${zipMB.toFixed(2)} MB zipped, ${pkg.files.length} files`);
    const packaged: number[] = [];
    const firstInvocation: number[] = [];
    const built: number[] = [];
    for (let i = 0; i < runs; i++) {
      const p = await loadOnce(root, join(pkg.dir, 'main.js'), true);
      packaged.push(p.importMs);
      firstInvocation.push(p.importMs + (p.appMs ?? 0));
      built.push((await loadOnce(root, join(root, 'dist', 'functions', 'index.js'), false)).importMs);
    }
    const ratio = median(packaged) / median(built);
    const figures = {
      zipMB: Math.round(zipMB * 100) / 100,
      files: pkg.files.length,
      runs,
      importMs: { packageMain: round(median(packaged)), build: round(median(built)), ratio: Math.round(ratio * 1000) / 1000 },
      // Everything the first invocation needs, loaded: the package's main and app.js / the build's import.
      allCodeLoadedMs: { package: round(median(firstInvocation)), build: round(median(built)), ratio: Math.round((median(firstInvocation) / median(built)) * 1000) / 1000 },
      targets: {
        zip: { maxMB: TARGETS.zipMaxMB, measuredMB: Math.round(zipMB * 100) / 100, met: zipMB <= TARGETS.zipMaxMB },
        importRatio: { max: TARGETS.importRatioMax, measured: Math.round(ratio * 1000) / 1000, met: ratio <= TARGETS.importRatioMax },
      },
    };
    return figures;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
