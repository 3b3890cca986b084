/**
 * `npm run package`: the deployable package, as a folder (artifacts/package, which azd deploys)
 * and as a zip (artifacts/accessmanager.zip, for `az functionapp deployment source config-zip`).
 *
 *   host.json, package.json   main = main.js; no dependencies: everything is bundled
 *   main.js                   registers the functions from functions.json (functions/package/main.ts)
 *   functions.json            the registration table's names, routes, methods, schedules
 *   app.js                    the app and its production dependencies, bundled by esbuild
 *                             (functions/package/app.ts), loaded on the first invocation
 *   app.js.LEGAL.txt          the bundled packages' license notices
 *   policies/, portal/        the policies and the portal's assets (dist/portal)
 *
 * Bundling: the Functions worker injects `@azure/functions-core`, so it stays outside; the
 * optional OpenTelemetry packages of the Agents SDK are loaded in a try and stay out too. Names
 * are kept (no identifier mangling) so stack traces in Application Insights read as the source.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
import { optionsOf, registrationOf, type RegistrationOptions } from '../functions/registrations';
import { functionTable } from '../functions/table';
import { repoRoot } from './azureCli';

/** Provided by the Functions worker at run time. */
const WORKER_PROVIDED = ['@azure/functions-core'];
/** Optional dependencies loaded in a try (the Agents SDK's telemetry): not installed, not bundled. */
const OPTIONAL = ['@opentelemetry/api', '@opentelemetry/api-logs'];

export interface PackageOptions {
  /** The repository (default: found from this file). */
  root?: string;
  /** Where artifacts go (default <root>/artifacts). */
  outDir?: string;
}

export interface PackageResult {
  dir: string;
  zip: string;
  zipBytes: number;
  /** Paths inside the package, sorted. */
  files: string[];
  manifest: RegistrationOptions[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** main.js requires these files beside it at run time; they must never be bundled into it. */
const besideMain: Plugin = {
  name: 'beside-main',
  setup(b) {
    b.onResolve({ filter: /^\.\/(app\.js|functions\.json)$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** The table's registrations without handlers (the handlers are never called here). */
export function registrationManifest(): RegistrationOptions[] {
  return functionTable(() => Promise.reject(new Error('not loaded while packaging'))).map((spec) => optionsOf(registrationOf(spec)));
}

export async function buildPackage(options: PackageOptions = {}): Promise<PackageResult> {
  const root = options.root ?? repoRoot();
  const outDir = options.outDir ?? join(root, 'artifacts');
  const dir = join(outDir, 'package');
  const portal = join(root, 'dist', 'portal');
  if (!existsSync(join(portal, 'app.js'))) throw new Error(`${relative(root, portal)} is missing: run npm run build first (npm run package does).`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'external',
    logLevel: 'warning',
    absWorkingDir: root,
    // ES modules among the dependencies (e.g. @azure/storage-blob's CRC64) read import.meta.url,
    // which a CommonJS bundle does not have: give them this file's own URL.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: 'var importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  } as const;
  await build({ ...common, entryPoints: [join(root, 'functions', 'package', 'app.ts')], outfile: join(dir, 'app.js'), external: [...WORKER_PROVIDED, ...OPTIONAL] });
  await build({ ...common, entryPoints: [join(root, 'functions', 'package', 'main.ts')], outfile: join(dir, 'main.js'), external: WORKER_PROVIDED, plugins: [besideMain] });

  const manifest = registrationManifest();
  writeFileSync(join(dir, 'functions.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(root, 'host.json'), join(dir, 'host.json'));
  cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true, filter: (src) => statSync(src).isDirectory() || /\.ya?ml$/i.test(src) });
  cpSync(portal, join(dir, 'portal'), { recursive: true });
  const source = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; description: string; engines: unknown };
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: source.name, version: source.version, description: source.description, private: true, main: 'main.js', engines: source.engines }, null, 2)}\n`,
  );

  const files = filesUnder(dir).map((f) => relative(dir, f).split('\\').join('/'));
  const entries: Zippable = {};
  for (const file of files) entries[file] = readFileSync(join(dir, file));
  const zip = join(outDir, 'accessmanager.zip');
  writeFileSync(zip, zipSync(entries, { level: 9 }));
  return { dir, zip, zipBytes: statSync(zip).size, files, manifest };
}

if (require.main === module) {
  buildPackage().then(
    (result) => {
      console.log(`${relative(process.cwd(), result.zip)}: ${(result.zipBytes / 1024 / 1024).toFixed(2)} MB, ${result.files.length} files, ${result.manifest.length} functions (folder: ${relative(process.cwd(), result.dir)})`);
    },
    (err: unknown) => {
      console.error(`npm run package: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
