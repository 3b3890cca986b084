/**
 * What the azd hooks share: running the Azure CLI (and azd) as the signed-in deployer, reading
 * azd environment values, and finding the repository. Only the hooks' `main` functions call
 * these; the planning they do is pure and tested on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Runs a CLI (az is az.cmd on Windows, hence the shell there) and returns its standard output. */
function run(tool: string, args: readonly string[]): string {
  return execFileSync(tool, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32', maxBuffer: 64 * 1024 * 1024 });
}

/** `az <args> -o json`, parsed (null for an empty answer). */
export function az(args: readonly string[]): unknown {
  const out = run('az', [...args, '-o', 'json']).trim();
  return out.length > 0 ? (JSON.parse(out) as unknown) : null;
}

/** Stores a value in the current azd environment (main.parameters.json reads it on the next provision). */
export function azdEnvSet(name: string, value: string): void {
  run('azd', ['env', 'set', name, value]);
}

/** An azd environment value azd exports to hooks; a clear error when the hook runs outside azd. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through azd (azd up, or azd provision then azd deploy), which exports the environment to its hooks.`);
  return value;
}

/** The repository root: the folder with azure.yaml, above this file (deploy/ or dist/deploy/). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'azure.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No azure.yaml above ${__dirname}.`);
    dir = parent;
  }
  return dir;
}
