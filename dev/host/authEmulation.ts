/**
 * App Service authentication (Easy Auth), emulated by the local host in local mode only, so the
 * portal signs in locally the way it does deployed:
 *   GET /.auth/login/aad?post_login_redirect_uri=<path>   a page to pick a local-tenant user
 *   GET /.auth/login/aad?login_hint=<upn>&post_login_redirect_uri=<path>   signs that user in at once
 *   GET /.auth/me       App Service's shape: [{provider_name, user_id, user_claims:[{typ,val}]}]; 401 signed out
 *   GET /.auth/logout   ends the session (then to post_logout_redirect_uri, or the sign-in page)
 * The session is an opaque cookie (AppServiceAuthSession, HttpOnly, SameSite=Lax) that the host
 * turns into the principal headers, exactly as App Service does: with the cookie, any
 * client-sent principal headers are dropped first. Without it, local clients keep naming
 * themselves with principal headers (the CLI, tests), as local mode always allowed.
 */
import type { HttpResponseInit } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PRINCIPAL_HEADERS, principalClaims, principalHeaders } from '../../shared/domain/caller';
import { SESSION_COOKIE } from '../../functions/http/crossSite';
import { json } from '../../functions/http/respond';
import { methodNotAllowed, notFound } from './hostResponses';

export interface LocalIdentity {
  /** Entra object id. */
  id: string;
  /** UPN, e.g. alice@contoso.test: what `login_hint` names. */
  name: string;
  roles: string[];
  /** Shown on the sign-in page beside the name. */
  note?: string;
}

export interface AuthEmulationOptions {
  users: readonly LocalIdentity[];
  /** How long a session lasts; Easy Auth's default is 8 hours. */
  sessionMs?: number;
  now?: () => number;
}

const DEFAULT_SESSION_MS = 8 * 60 * 60 * 1000;
/** A sign-in page with no script at all: inline styles only. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Only a path on this site: `/requests?x=1` yes; `//evil.test`, `/\evil.test`, `https://...` no (open redirects). */
export function safeRedirectPath(raw: string | null | undefined, fallback = '/'): string {
  if (!raw || raw.length > 2000) return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  if ([...raw].some((c) => c < ' ' || c === '\u007f' || c === '\\')) return fallback;
  return raw;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The session id in a Cookie header, if the session cookie is there. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  for (const pair of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

export class AuthEmulation {
  readonly #sessions = new Map<string, { user: LocalIdentity; expires: number }>();
  readonly #users: readonly LocalIdentity[];
  readonly #sessionMs: number;
  readonly #now: () => number;

  constructor(options: AuthEmulationOptions) {
    this.#users = options.users;
    this.#sessionMs = options.sessionMs ?? DEFAULT_SESSION_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * What App Service does before the app sees a request: with the session cookie, the principal
   * headers are the session's (or none, when it is unknown or over), never the client's.
   */
  applySession(req: IncomingMessage): void {
    const id = sessionIdFrom(req.headers.cookie);
    if (id === undefined) return;
    for (const name of Object.keys(req.headers)) if (name.startsWith(PRINCIPAL_HEADERS.principal)) delete req.headers[name];
    const user = this.#current(id);
    if (user) Object.assign(req.headers, principalHeaders(user));
  }

  /** Answers `/.auth/...`; `path` is what follows `/.auth/`. */
  answer(method: string, path: string, url: URL, req: IncomingMessage): HttpResponseInit {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, ['GET']);
    switch (path.toLowerCase()) {
      case 'login/aad':
        return this.#login(url);
      case 'me':
        return this.#me(req);
      case 'logout':
        return this.#logout(url, req);
      default:
        return notFound(`/.auth/${path} is not emulated locally; use /.auth/login/aad, /.auth/me or /.auth/logout.`);
    }
  }

  #current(id: string): LocalIdentity | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session.user;
  }

  #login(url: URL): HttpResponseInit {
    const redirect = safeRedirectPath(url.searchParams.get('post_login_redirect_uri'));
    const hint = url.searchParams.get('login_hint')?.trim().toLowerCase();
    if (!hint) return this.#page(200, redirect);
    const user = this.#users.find((u) => u.name.toLowerCase() === hint || u.id.toLowerCase() === hint);
    if (!user) return this.#page(400, redirect, `No local-tenant user is called ${hint}: pick one below.`);
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { user, expires: this.#now() + this.#sessionMs });
    return {
      status: 302,
      headers: { location: redirect, 'cache-control': 'no-store' },
      cookies: [{ name: SESSION_COOKIE, value: id, path: '/', httpOnly: true, sameSite: 'Lax', maxAge: Math.floor(this.#sessionMs / 1000) }],
    };
  }

  #me(req: IncomingMessage): HttpResponseInit {
    const id = sessionIdFrom(req.headers.cookie);
    const user = id === undefined ? undefined : this.#current(id);
    if (!user) return json(401, { error: { code: 'Unauthenticated', message: 'Nobody is signed in: go to /.auth/login/aad.' } }, { 'cache-control': 'no-store' });
    return json(200, [{ provider_name: 'aad', user_id: user.name, user_claims: principalClaims(user) }], { 'cache-control': 'no-store' });
  }

  #logout(url: URL, req: IncomingMessage): HttpResponseInit {
    const id = sessionIdFrom(req.headers.cookie);
    if (id !== undefined) this.#sessions.delete(id);
    const after = safeRedirectPath(url.searchParams.get('post_logout_redirect_uri'), '/.auth/login/aad');
    return {
      status: 302,
      headers: { location: after, 'cache-control': 'no-store' },
      cookies: [{ name: SESSION_COOKIE, value: '', path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 0 }],
    };
  }

  /** The user picker: a GET form, one button per person, no script. */
  #page(status: number, redirect: string, problem?: string): HttpResponseInit {
    const buttons = this.#users
      .map((u) => `<li><button type="submit" name="login_hint" value="${escapeHtml(u.name)}">${escapeHtml(u.name)}</button>${u.note ? ` <span>${escapeHtml(u.note)}</span>` : ''}</li>`)
      .join('\n');
    const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in (local) – AccessManager</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}ul{list-style:none;padding:0}li{margin:.5rem 0}button{font:inherit;padding:.4rem .9rem;min-width:14rem;text-align:left;cursor:pointer}span{color:#555}.problem{color:#a4262c;font-weight:600}</style></head>
<body><main>
<h1>Sign in to AccessManager</h1>
<p>Local mode: this page stands in for Microsoft Entra sign-in. Pick a person of the local tenant.</p>
${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
<form method="get" action="/.auth/login/aad">
<input type="hidden" name="post_login_redirect_uri" value="${escapeHtml(redirect)}">
<ul>
${buttons}
</ul>
</form>
</main></body>
</html>
`;
    return { status, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY', 'cache-control': 'no-store' }, body: html };
  }
}
