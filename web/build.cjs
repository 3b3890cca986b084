/**
 * Bundles the portal: web/main.ts (and its CSS) into dist/portal/app.js and app.css, minified, for
 * the browsers of today (ES2020). Run by `npm run build` (so by npm start and npm test) and by
 * `npm install` (`prepare`); with --if-installed it does nothing where esbuild is not installed
 * (an install without devDependencies), since the bundle is then built elsewhere or not needed.
 */
const path = require('node:path');

const ifInstalled = process.argv.includes('--if-installed');
let esbuild;
try {
  esbuild = require('esbuild');
} catch (err) {
  if (ifInstalled) process.exit(0);
  throw err;
}

const root = path.join(__dirname, '..');
esbuild
  .build({
    entryPoints: [path.join(root, 'web', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    outdir: path.join(root, 'dist', 'portal'),
    entryNames: 'app',
    legalComments: 'none',
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));
