/**
 * App Service's managed identity endpoint (the one a Function App's code reaches through
 * IDENTITY_ENDPOINT and IDENTITY_HEADER, API version 2019-08-01), for AccessManager's identity:
 * with those two variables set, `DefaultAzureCredential`, as the deployed app builds it, gets its
 * tokens here. The deployable package is tested that way, with no credential override.
 *   GET /msi/token?resource=<audience>&api-version=2019-08-01[&client_id=<id>]   X-IDENTITY-HEADER: <secret>
 */
import { encodeSimToken, simClaimsFor } from '../credential';
import { header, ok, queryParam, SimHttpError, type SimReply, type SimRequest } from '../http';
import { ACCESS_MANAGER_APP_ID } from '../seed';
import { PEOPLE } from '../../tenant';

export const MANAGED_IDENTITY_PATH = '/msi/token';

export function handleManagedIdentity(req: SimRequest, identityHeader: string): SimReply {
  if (req.method !== 'GET' || req.path.toLowerCase() !== MANAGED_IDENTITY_PATH) throw new SimHttpError(404, 'NotFound', `The managed identity endpoint is GET ${MANAGED_IDENTITY_PATH}.`);
  if (header(req, 'x-identity-header') !== identityHeader) throw new SimHttpError(401, 'Unauthorized', 'X-IDENTITY-HEADER is missing or wrong: it must be the IDENTITY_HEADER the platform gave the app.');
  if (queryParam(req.query, 'api-version') !== '2019-08-01') throw new SimHttpError(400, 'BadRequest', 'api-version must be 2019-08-01.');
  const resource = queryParam(req.query, 'resource');
  if (!resource) throw new SimHttpError(400, 'BadRequest', 'resource is required (the audience of the token, e.g. https://management.azure.com).');
  const clientId = queryParam(req.query, 'client_id');
  if (clientId !== undefined && clientId.toLowerCase() !== ACCESS_MANAGER_APP_ID) {
    throw new SimHttpError(400, 'BadRequest', `No managed identity with client id ${clientId} is assigned to this app (AccessManager's is ${ACCESS_MANAGER_APP_ID}).`);
  }
  const claims = simClaimsFor(PEOPLE.accessManager, { aud: resource.replace(/\/\.default$/, '') });
  return ok({ access_token: encodeSimToken(claims), expires_on: String(claims.exp), resource, token_type: 'Bearer', client_id: ACCESS_MANAGER_APP_ID });
}
