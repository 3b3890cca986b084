/**
 * postinstall: applies the patches in this folder with patch-package. An install without dev
 * dependencies (`npm ci --omit=dev`) has neither patch-package nor the packages it patches (all
 * dev dependencies), so there is nothing to do.
 */
const { spawnSync } = require('node:child_process');

let cli;
try {
  cli = require.resolve('patch-package/index.js');
} catch {
  process.exit(0);
}
const { status } = spawnSync(process.execPath, [cli], { stdio: 'inherit' });
process.exit(status ?? 1);
