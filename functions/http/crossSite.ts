/**
 * Cross-site request forgery, refused. A browser signed in to App Service authentication sends its
 * session cookie with every request to the app, including one that another site's page starts
 * (a form post, a `no-cors` fetch). So a state-changing request that rides on the cookie must show
 * it was sent by the portal itself: the portal's request header (which another origin cannot set
 * without a CORS preflight, and the app answers none) and, when the browser says where it came
 * from, this app's own origin. The session cookie is SameSite=Lax locally; deployed, App Service
 * chooses, so this check is what holds.
 *
 * Deployed, whatever carries no bearer token may be cookie-borne (App Service turns both into the
 * same principal headers). Locally, clients also name themselves with principal headers (the CLI,
 * tests): only requests with the session cookie are held to the rule there.
 */
import { ForbiddenError } from '../../shared/domain/errors';

/** The header the portal sends with every API call; its value is not a secret, its presence is the proof. */
export const PORTAL_REQUEST_HEADER = 'x-accessmanager-request';
/** App Service authentication's session cookie (also the local host's emulation of it). */
export const SESSION_COOKIE = 'AppServiceAuthSession';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CrossSiteSettings {
  mode: 'local' | 'azure';
  /** PUBLIC_BASE_URL: the app's public origin, besides the one the request was addressed to. */
  publicBaseUrl: string;
}

type Request = { method: string; url: string; headers: Pick<Headers, 'get'> };

export function hasSessionCookie(cookieHeader: string | null | undefined): boolean {
  if (!cookieHeader) return false;
  return cookieHeader.split(';').some((pair) => pair.trim().startsWith(`${SESSION_COOKIE}=`));
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Why this request is refused as possibly cross-site; undefined when it may go on. */
export function crossSiteRefusal(request: Request, settings: CrossSiteSettings): ForbiddenError | undefined {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
  const headers = request.headers;
  // A token in a header is never attached by a browser on its own.
  if (headers.get('authorization') || headers.get('x-zumo-auth')) return undefined;
  if (settings.mode === 'local' && !hasSessionCookie(headers.get('cookie'))) return undefined;

  const refuse = (why: string) =>
    new ForbiddenError(`Refused to protect your sign-in: ${why}. Make changes from the AccessManager portal, or call the API with a bearer token.`, 'CrossSiteRequest');
  const site = headers.get('sec-fetch-site');
  if (site && site !== 'same-origin') return refuse(`this request was started by ${site === 'none' ? 'no page of this app' : `a ${site} page`}`);
  const origin = headers.get('origin');
  if (origin) {
    const own = [originOf(request.url), originOf(settings.publicBaseUrl)].filter((o) => o !== undefined);
    if (!own.includes(origin)) return refuse(`this request came from ${origin.slice(0, 200)}, not from this app`);
  }
  if (!headers.get(PORTAL_REQUEST_HEADER)) return refuse(`a change made with the browser's session needs the ${PORTAL_REQUEST_HEADER} header the portal sends`);
  return undefined;
}
