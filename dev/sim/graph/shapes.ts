/** Directory objects in Microsoft Graph v1.0's JSON shape, with `$select` projection. */
import type { DirectoryObject } from '../directory';

export const SEED_CREATED = '2026-01-05T09:00:00Z';

export function toGraphObject(o: DirectoryObject): Record<string, unknown> {
  switch (o.kind) {
    case 'User':
      return {
        '@odata.type': '#microsoft.graph.user',
        id: o.id,
        businessPhones: [],
        displayName: o.displayName,
        givenName: o.givenName,
        jobTitle: o.jobTitle,
        mail: o.mail,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: 'en-US',
        surname: o.surname,
        userPrincipalName: o.userPrincipalName,
      };
    case 'Group':
      return {
        '@odata.type': '#microsoft.graph.group',
        id: o.id,
        createdDateTime: SEED_CREATED,
        description: o.description,
        displayName: o.displayName,
        groupTypes: [],
        mail: null,
        mailEnabled: false,
        mailNickname: o.mailNickname,
        securityEnabled: true,
        visibility: null,
      };
    case 'ServicePrincipal':
      return {
        '@odata.type': '#microsoft.graph.servicePrincipal',
        id: o.id,
        accountEnabled: true,
        appId: o.appId,
        displayName: o.displayName,
        servicePrincipalType: o.servicePrincipalType,
      };
  }
}

/** `$select=a,b`: only those properties (and the type annotation Graph keeps on directory objects). */
export function project(obj: Record<string, unknown>, select: string | undefined): Record<string, unknown> {
  if (!select) return obj;
  const wanted = select.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const out: Record<string, unknown> = {};
  if (obj['@odata.type'] !== undefined) out['@odata.type'] = obj['@odata.type'];
  for (const [k, v] of Object.entries(obj)) if (wanted.includes(k.toLowerCase())) out[k] = v;
  return out;
}
