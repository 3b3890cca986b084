/**
 * `npm run teams:package`: the Teams app package (artifacts/accessmanager-teams.zip, manifest.json
 * and the two icons at its root), from appPackage/ with its `${{NAME}}` placeholders filled from
 * the environment (`azd env get-values` after a deployment: BOT_APP_ID and FUNCTION_APP_URL;
 * TEAMS_APP_ID defaults to the bot id, TEAMS_DEVELOPER_NAME to "AccessManager").
 *
 * Validation works offline: the manifest against the Teams JSON schema of its version, as
 * @microsoft/app-manifest ships it (its own validator imports ESM-only code that Node 20 cannot
 * require, so the same ajv draft-04 setup is used here), and the icons against what the schema
 * only describes: color 192x192, outline 32x32 white on transparent.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { repoRoot } from './azureCli';

export interface TeamsAppValues {
  BOT_APP_ID: string;
  FUNCTION_APP_URL: string;
  TEAMS_APP_ID?: string;
  TEAMS_DEVELOPER_NAME?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function appPackageDir(): string {
  return join(repoRoot(), 'appPackage');
}

/** The manifest with every `${{NAME}}` filled; unknown or missing names and malformed ids are refused. */
export function fillManifest(template: string, values: TeamsAppValues): Record<string, unknown> {
  if (!GUID.test(values.BOT_APP_ID)) throw new Error(`BOT_APP_ID must be the bot's app id (a GUID), not ${JSON.stringify(values.BOT_APP_ID)}.`);
  const url = new URL(values.FUNCTION_APP_URL);
  if (url.protocol !== 'https:') throw new Error(`FUNCTION_APP_URL must be https://, not ${values.FUNCTION_APP_URL}.`);
  const teamsAppId = values.TEAMS_APP_ID ?? values.BOT_APP_ID;
  if (!GUID.test(teamsAppId)) throw new Error(`TEAMS_APP_ID must be a GUID, not ${JSON.stringify(teamsAppId)}.`);
  const filled: Record<string, string> = {
    BOT_APP_ID: values.BOT_APP_ID,
    TEAMS_APP_ID: teamsAppId,
    TEAMS_DEVELOPER_NAME: values.TEAMS_DEVELOPER_NAME ?? 'AccessManager',
    FUNCTION_APP_URL: url.origin,
    FUNCTION_APP_HOST: url.host,
  };
  const text = template.replace(/\$\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = filled[name];
    if (value === undefined) throw new Error(`appPackage/manifest.json uses \${{${name}}}, which has no value.`);
    return JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(text) as Record<string, unknown>;
}

function schemaFor(manifest: Record<string, unknown>): object {
  const version = String(manifest.manifestVersion ?? '');
  if (!/^\d+\.\d+$/.test(version)) throw new Error(`manifestVersion ${JSON.stringify(manifest.manifestVersion)} is not a Teams manifest version.`);
  const file = join(dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams', `v${version}`, 'MicrosoftTeams.schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

/** Schema problems, as "<path> <message>" lines; none means valid. */
export function schemaProblems(manifest: Record<string, unknown>): string[] {
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  addFormats(ajv, ['uri', 'email', 'regex']);
  const validate = ajv.compile(schemaFor(manifest));
  if (validate(JSON.parse(JSON.stringify(manifest)))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** What the schema only describes: color 192x192; outline 32x32, white where it is not transparent. */
export function iconProblems(color: Buffer, outline: Buffer): string[] {
  const problems: string[] = [];
  const c = PNG.sync.read(color);
  if (c.width !== 192 || c.height !== 192) problems.push(`icons.color must be 192x192 pixels, is ${c.width}x${c.height}`);
  const o = PNG.sync.read(outline);
  if (o.width !== 32 || o.height !== 32) problems.push(`icons.outline must be 32x32 pixels, is ${o.width}x${o.height}`);
  let transparent = 0;
  let coloured = 0;
  for (let i = 0; i < o.data.length; i += 4) {
    const [r, g, b, a] = [o.data[i]!, o.data[i + 1]!, o.data[i + 2]!, o.data[i + 3]!];
    if (a === 0) transparent++;
    else if (r < 250 || g < 250 || b < 250) coloured++;
  }
  if (transparent === 0) problems.push('icons.outline must have a transparent background');
  if (coloured > 0) problems.push(`icons.outline must be white on transparent: ${coloured} visible pixels are not white`);
  return problems;
}

export interface TeamsPackage {
  manifest: Record<string, unknown>;
  zip: Buffer;
}

/** Fills, validates and zips the Teams app; throws with every problem found. */
export function buildTeamsPackage(values: TeamsAppValues, dir = appPackageDir()): TeamsPackage {
  const manifest = fillManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), values);
  const icons = manifest.icons as { color: string; outline: string };
  const color = readFileSync(join(dir, icons.color));
  const outline = readFileSync(join(dir, icons.outline));
  const problems = [...schemaProblems(manifest), ...iconProblems(color, outline)];
  if (problems.length > 0) throw new Error(`The Teams app package is invalid:\n  ${problems.join('\n  ')}`);
  const zip = Buffer.from(zipSync({ 'manifest.json': Buffer.from(JSON.stringify(manifest, null, 2)), [icons.color]: color, [icons.outline]: outline }, { level: 9 }));
  return { manifest, zip };
}

if (require.main === module) {
  try {
    const env = process.env;
    if (!env.BOT_APP_ID || !env.FUNCTION_APP_URL) {
      throw new Error('BOT_APP_ID and FUNCTION_APP_URL are needed: run it with the deployment\'s values, e.g. `azd env get-values > .env.azd && set -a && . ./.env.azd && npm run teams:package`.');
    }
    const { zip } = buildTeamsPackage({ BOT_APP_ID: env.BOT_APP_ID, FUNCTION_APP_URL: env.FUNCTION_APP_URL, TEAMS_APP_ID: env.TEAMS_APP_ID || undefined, TEAMS_DEVELOPER_NAME: env.TEAMS_DEVELOPER_NAME || undefined });
    const out = join(process.cwd(), 'artifacts', 'accessmanager-teams.zip');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, zip);
    console.log(`artifacts/accessmanager-teams.zip: upload it in Teams admin center (Manage apps), or sideload it to try it.`);
  } catch (err) {
    console.error(`npm run teams:package: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
