/**
 * The portal: a single-page app served by the Function App itself at `/` (route `{*path}`, the
 * only way the Functions host reaches the site root). Every page path answers the same HTML shell;
 * `/assets/*` answers the bundle `npm run build` writes to dist/portal (never anything else from
 * disk). Nothing is loaded from elsewhere at run time, and every answer carries a strict
 * Content-Security-Policy (no inline script, no framing). Paths under `/api` that no API function
 * claimed get the API's JSON 404, not the page.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InternalError, NotFoundError } from '../../shared/domain/errors';
import type { HttpFunction } from '../types';
import { errorResponse } from './respond';

/** The headers of every portal answer. `style-src 'self'`: no inline styles either. */
export const PORTAL_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** The files of the bundle the portal may serve, and their types. */
const ASSET_TYPES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

interface Served {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  type: string;
}

interface Portal {
  shell: Served;
  assets: Map<string, Served>;
}

function served(body: Buffer, type: string): Served {
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, type };
}

/** Where the bundle is: dist/portal next to dist/functions (or from the sources, under dist/); in the deployable package, portal/ next to app.js. */
export function portalDir(): string | undefined {
  return [join(__dirname, '..', '..', 'portal'), join(__dirname, '..', '..', 'dist', 'portal'), join(__dirname, 'portal')].find((dir) => existsSync(join(dir, 'app.js')));
}

/** The HTML every page path answers; asset URLs carry their hash, so a new build is never mixed with an old one. */
export function pageShell(versions: { js: string; css: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>AccessManager</title>',
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="/assets/app.css?v=${versions.css}">`,
    `<script type="module" src="/assets/app.js?v=${versions.js}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"><p class="loading">Loading AccessManager…</p></div>',
    '<noscript><p>The AccessManager portal needs JavaScript. The access-manager CLI does everything it does.</p></noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

let loaded: Portal | undefined;

function loadPortal(): Portal {
  if (loaded) return loaded;
  const dir = portalDir();
  if (!dir) throw new InternalError('The portal is not built: run npm run build (it writes dist/portal).', 'PortalNotBuilt');
  const assets = new Map<string, Served>();
  for (const [name, type] of Object.entries(ASSET_TYPES)) assets.set(name, served(readFileSync(join(dir, name)), type));
  const version = (name: string) => assets.get(name)!.etag.slice(1, 13);
  loaded = { shell: served(Buffer.from(pageShell({ js: version('app.js'), css: version('app.css') }), 'utf8'), 'text/html; charset=utf-8'), assets };
  return loaded;
}

function answer(request: HttpRequest, file: Served, cacheControl: string): HttpResponseInit {
  const headers: Record<string, string> = { ...PORTAL_SECURITY_HEADERS, 'content-type': file.type, 'cache-control': cacheControl, etag: file.etag, vary: 'accept-encoding' };
  const tags = request.headers.get('if-none-match');
  if (tags && tags.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) return { status: 304, headers };
  const gzip = /\bgzip\b/i.test(request.headers.get('accept-encoding') ?? '');
  if (gzip) headers['content-encoding'] = 'gzip';
  return { status: 200, headers, body: gzip ? file.gzip : file.body };
}

function notFoundPage(path: string): HttpResponseInit {
  return { status: 404, headers: { ...PORTAL_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: `Nothing is served at /${path.slice(0, 200)}.\n` };
}

export async function servePortal(request: HttpRequest): Promise<HttpResponseInit> {
  const path = request.params.path ?? '';
  const segments = path.split('/').filter((s) => s.length > 0);
  const first = segments[0]?.toLowerCase();
  // The catch-all sees API paths no API function claimed: answer them as the API would.
  if (first === 'api') return errorResponse(new NotFoundError(`No function serves /${path}.`));
  try {
    const portal = loadPortal();
    if (first === 'assets') {
      const file = segments.length === 2 ? portal.assets.get(segments[1]!) : undefined;
      if (!file) return notFoundPage(path);
      // A hashed URL never changes content: cache it for good; without the hash, revalidate.
      return answer(request, file, request.query.get('v') ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    // Page paths are words; anything with a file extension (favicon.ico, robots.txt) is not a page.
    if (segments.some((s) => s.startsWith('.') || s.includes('.'))) return notFoundPage(path);
    return answer(request, portal.shell, 'no-cache');
  } catch (err) {
    return errorResponse(err, console);
  }
}

export function portalFunction(): HttpFunction {
  return { kind: 'http', name: 'portal', route: '{*path}', methods: ['GET', 'HEAD'], handler: servePortal };
}
