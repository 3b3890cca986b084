/**
 * The one wrapper every API function goes through: it resolves dependencies, establishes
 * the caller from App Service authentication, refuses cookie-borne changes another site may have
 * started (./crossSite.ts), runs the use case and maps any error to HTTP in one place (./respond.ts).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { App } from '../../shared/compositionRoot';
import type { Deps } from '../../shared/ports/deps';
import { ForbiddenError, InternalError, ValidationError } from '../../shared/domain/errors';
import { requireCaller, type Caller } from '../../shared/domain/caller';
import { errorResponse, json } from './respond';
import { crossSiteRefusal } from './crossSite';
import type { HttpHandler } from '../types';

export type GetApp = () => Promise<App>;
type ApiBody = (request: HttpRequest, deps: Deps, caller: Caller, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * Deployed, the Easy Auth headers are trustworthy only when App Service authentication is on
 * (it strips client-sent ones). Without it, refuse rather than trust a header anyone can send.
 */
function assertAuthenticationLayer(deps: Deps): void {
  if (deps.config.ACCESSMANAGER_ENV === 'azure' && !deps.config.WEBSITE_AUTH_ENABLED) {
    throw new InternalError('App Service authentication is off: AccessManager refuses API calls until it is turned on (see README, Running in Azure).', 'AuthenticationNotConfigured');
  }
}

export function api(getApp: GetApp, body: ApiBody, options: { adminOnly?: boolean } = {}): HttpHandler {
  return async (request, context) => {
    try {
      const { deps } = await getApp();
      assertAuthenticationLayer(deps);
      const caller = requireCaller(request);
      const crossSite = crossSiteRefusal(request, { mode: deps.config.ACCESSMANAGER_ENV, publicBaseUrl: deps.config.PUBLIC_BASE_URL });
      if (crossSite) throw crossSite;
      if (options.adminOnly && !caller.isAdmin) {
        throw new ForbiddenError('This needs the AccessManager.Admin app role.', 'AdminOnly');
      }
      return await body(request, deps, caller, context);
    } catch (err) {
      return errorResponse(err, context);
    }
  };
}

/** Decodes the query string with a schema; unknown parameters are refused so typos do not silently widen a query. */
export function readQuery<S extends z.ZodType>(request: HttpRequest, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  request.query.forEach((value, key) => {
    raw[key] = value;
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ');
    throw new ValidationError(`Invalid query parameters: ${issues}.`, 'InvalidQuery');
  }
  return parsed.data;
}

/** Route parameters that are ids: bounded and free of characters that mean something to Cosmos. */
export function idParam(request: HttpRequest, name: string): string {
  const value = request.params[name] ?? '';
  if (!/^[A-Za-z0-9-]{1,100}$/.test(value)) throw new ValidationError(`The ${name} in the path must be an id like 3f2b8c1e-....`, 'InvalidId');
  return value;
}

export { json };
