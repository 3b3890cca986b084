/** Names the portal shares with the API; kept here so the bundle carries no server code. */

/** functions/http/crossSite.ts PORTAL_REQUEST_HEADER: sent with every API call. */
export const PORTAL_REQUEST_HEADER = 'x-accessmanager-request';
/** The app role of AccessManager admins (shared/domain/caller.ts ADMIN_ROLE). */
export const ADMIN_ROLE = 'AccessManager.Admin';
