/**
 * Microsoft Graph v1.0 (under `/v1.0`): users, groups, service principals, direct and
 * transitive membership with `@odata.nextLink` paging, `getByIds` and `checkMemberGroups`,
 * with Graph's error codes. Enough for resolving approvers and people, nothing more.
 */
import { z } from 'zod';
import { isGuid } from '../../../shared/domain/armIds';
import { resolveCaller } from '../caller';
import type { Directory, DirectoryObject } from '../directory';
import { ok, queryParam, queryString, SimHttpError, type SimReply, type SimRequest } from '../http';
import type { SimKnobs } from '../knobs';
import type { SimState } from '../state';
import { project, toGraphObject } from './shapes';

const GRAPH_ROOT = 'https://graph.microsoft.com/v1.0';
const MAX_TOP = 999;

export interface GraphDeps {
  state: SimState;
  knobs: SimKnobs;
}

function notFound(id: string): SimHttpError {
  return new SimHttpError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function badId(id: string): SimHttpError {
  return new SimHttpError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`);
}

function unsupported(what: string): SimHttpError {
  return new SimHttpError(400, 'Request_UnsupportedQuery', `Unsupported query: ${what}.`);
}

function requireGuid(id: string): string {
  if (!isGuid(id)) throw badId(id);
  return id;
}

const TYPE_CASTS: Record<string, DirectoryObject['kind']> = {
  'microsoft.graph.user': 'User',
  'microsoft.graph.group': 'Group',
  'microsoft.graph.serviceprincipal': 'ServicePrincipal',
};

/** A collection answer: one page of `$top` (or the page-size knob) items, `@odata.nextLink` when more remain. */
function collection(req: SimRequest, deps: GraphDeps, context: string, objects: DirectoryObject[]): SimReply {
  const topRaw = queryParam(req.query, '$top');
  let pageSize = deps.knobs.graphPageSize;
  if (topRaw !== undefined) {
    const top = Number(topRaw);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new SimHttpError(400, 'Request_BadRequest', `Invalid page size specified: '${topRaw}'. Must be between 1 and ${MAX_TOP} inclusive.`);
    pageSize = top;
  }
  const skipRaw = queryParam(req.query, '$skiptoken');
  let start = 0;
  if (skipRaw !== undefined) {
    start = Number(Buffer.from(skipRaw, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new SimHttpError(400, 'Request_BadRequest', `Invalid $skiptoken '${skipRaw}'; follow @odata.nextLink as given.`);
  }
  const select = queryParam(req.query, '$select');
  const page = objects.slice(start, start + pageSize).map((o) => project(toGraphObject(o), select));
  const body: Record<string, unknown> = { '@odata.context': `${GRAPH_ROOT}/$metadata#${context}`, value: page };
  if (start + pageSize < objects.length) {
    const pairs = [...req.query].filter(([k]) => k.toLowerCase() !== '$skiptoken');
    pairs.push(['$skiptoken', Buffer.from(String(start + pageSize)).toString('base64url')]);
    body['@odata.nextLink'] = `${req.origin}${req.path}?${queryString(pairs)}`;
  }
  return ok(body);
}

function single(req: SimRequest, context: string, o: DirectoryObject): SimReply {
  const shaped = project(toGraphObject(o), queryParam(req.query, '$select'));
  return ok({ '@odata.context': `${GRAPH_ROOT}/$metadata#${context}/$entity`, ...shaped });
}

const EQ = /^(\w+)\s+eq\s+'((?:[^']|'')*)'$/i;
const STARTS_WITH = /^startswith\((\w+)\s*,\s*'((?:[^']|'')*)'\)$/i;

/** The `$filter` forms people lookups use: `prop eq 'v'` and `startswith(prop,'v')`, optionally joined by `or`. */
export function filterObjects(objects: DirectoryObject[], filter: string | undefined): DirectoryObject[] {
  if (!filter || filter.trim() === '') return objects;
  const terms = filter.split(/\s+or\s+/i).map((raw) => {
    const t = raw.trim();
    const eq = EQ.exec(t);
    const sw = STARTS_WITH.exec(t);
    const m = eq ?? sw;
    if (!m?.[1]) throw unsupported(`$filter '${filter}' (supported: prop eq 'value', startswith(prop,'value'))`);
    return { prop: m[1].toLowerCase(), value: (m[2] ?? '').replace(/''/g, "'").toLowerCase(), startsWith: !eq };
  });
  return objects.filter((o) => {
    const shaped = toGraphObject(o);
    return terms.some((t) => {
      const key = Object.keys(shaped).find((k) => k.toLowerCase() === t.prop);
      const v = key ? shaped[key] : undefined;
      if (typeof v !== 'string') return false;
      const lv = v.toLowerCase();
      return t.startsWith ? lv.startsWith(t.value) : lv === t.value;
    });
  });
}

function castFilter(objects: DirectoryObject[], cast: string | undefined): DirectoryObject[] {
  if (!cast) return objects;
  const kind = TYPE_CASTS[cast.toLowerCase()];
  if (!kind) throw new SimHttpError(400, 'Request_BadRequest', `Unknown type cast '${cast}'.`);
  return objects.filter((o) => o.kind === kind);
}

const idsBody = z.object({ ids: z.array(z.string()).min(1, 'ids must name at least one object').max(1000), types: z.array(z.string()).optional() });
const groupIdsBody = z.object({ groupIds: z.array(z.string()).max(20, 'groupIds takes at most 20 ids') });

function decodeBody<T>(req: SimRequest, schema: z.ZodType<T>): T {
  if (req.bodyInvalid) throw new SimHttpError(400, 'BadRequest', 'Unable to read JSON request payload.');
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw new SimHttpError(400, 'Request_BadRequest', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

function groupsOf(directory: Directory, id: string, transitive: boolean): DirectoryObject[] {
  if (!transitive) return directory.directGroupsOf(id);
  return directory.transitiveGroupIdsOf(id).flatMap((g) => directory.group(g) ?? []);
}

/** Handles one request under `/v1.0`; `path` is the part after it. */
export function handleGraph(req: SimRequest, deps: GraphDeps): SimReply {
  const directory = deps.state.directory;
  const caller = resolveCaller(req, directory);
  const segments = req.path.split('/').filter((s) => s.length > 0).slice(1);
  const [collectionName = '', id, nav, cast, ...rest] = segments;
  if (rest.length > 0) throw new SimHttpError(400, 'Request_BadRequest', `Unsupported segment in '${req.path}'.`);
  const method = req.method;
  const col = collectionName.toLowerCase();
  const navKey = nav?.toLowerCase();

  if (col === 'me' && method === 'GET' && !id) {
    const me = directory.get(caller.objectId);
    if (!me) throw notFound(caller.objectId);
    return single(req, 'users', me);
  }

  if (col === 'users') {
    if (!id) {
      if (method !== 'GET') throw methodNotAllowed(req);
      const users = directory.all().filter((o) => o.kind === 'User');
      return collection(req, deps, 'users', filterObjects(users, queryParam(req.query, '$filter')));
    }
    if (!isGuid(id) && !id.includes('@')) throw badId(id);
    const user = directory.user(id);
    if (!user) throw notFound(id);
    return objectNavigation(req, deps, 'users', user, navKey, cast);
  }

  if (col === 'groups') {
    if (!id) {
      if (method !== 'GET') throw methodNotAllowed(req);
      const groups = directory.all().filter((o) => o.kind === 'Group');
      return collection(req, deps, 'groups', filterObjects(groups, queryParam(req.query, '$filter')));
    }
    const group = directory.group(requireGuid(id));
    if (!group) throw notFound(id);
    if (method === 'GET' && (navKey === 'members' || navKey === 'transitivemembers')) {
      const members = navKey === 'members' ? directory.directMembers(group) : directory.transitiveMembers(group);
      return collection(req, deps, 'directoryObjects', castFilter(members, cast));
    }
    return objectNavigation(req, deps, 'groups', group, navKey, cast);
  }

  if (col === 'serviceprincipals') {
    if (!id) throw methodNotAllowed(req);
    const sp = directory.servicePrincipal(requireGuid(id));
    if (!sp) throw notFound(id);
    return objectNavigation(req, deps, 'servicePrincipals', sp, navKey, cast);
  }

  if (col === 'directoryobjects') {
    if (id?.toLowerCase() === 'getbyids' && method === 'POST') {
      const body = decodeBody(req, idsBody);
      const kinds = body.types?.map((t) => t.toLowerCase().replace(/^#?microsoft\.graph\./, ''));
      const found = body.ids.flatMap((i) => directory.get(i) ?? []).filter((o) => !kinds || kinds.includes(o.kind.toLowerCase()));
      return ok({ '@odata.context': `${GRAPH_ROOT}/$metadata#directoryObjects`, value: found.map(toGraphObject) });
    }
    if (!id) throw methodNotAllowed(req);
    const o = directory.get(requireGuid(id));
    if (!o) throw notFound(id);
    return objectNavigation(req, deps, 'directoryObjects', o, navKey, cast);
  }

  throw new SimHttpError(400, 'BadRequest', `Resource not found for the segment '${collectionName}'.`);
}

/** Reads of one object and the navigations every directory object shares (memberOf, checkMemberGroups). */
function objectNavigation(req: SimRequest, deps: GraphDeps, context: string, o: DirectoryObject, nav: string | undefined, cast: string | undefined): SimReply {
  const directory = deps.state.directory;
  if (!nav) {
    if (req.method !== 'GET') throw methodNotAllowed(req);
    return single(req, context, o);
  }
  if (req.method === 'GET' && (nav === 'memberof' || nav === 'transitivememberof')) {
    return collection(req, deps, 'directoryObjects', castFilter(groupsOf(directory, o.id, nav === 'transitivememberof'), cast));
  }
  if (req.method === 'POST' && nav === 'checkmembergroups') {
    const body = decodeBody(req, groupIdsBody);
    const mine = new Set(directory.transitiveGroupIdsOf(o.id));
    return ok({ '@odata.context': `${GRAPH_ROOT}/$metadata#Collection(Edm.String)`, value: body.groupIds.filter((g) => mine.has(g.toLowerCase())) });
  }
  if (req.method === 'POST' && nav === 'getmembergroups') {
    return ok({ '@odata.context': `${GRAPH_ROOT}/$metadata#Collection(Edm.String)`, value: groupsOf(directory, o.id, true).map((g) => g.id) });
  }
  throw new SimHttpError(400, 'BadRequest', `Resource not found for the segment '${nav}'.`);
}

function methodNotAllowed(req: SimRequest): SimHttpError {
  return new SimHttpError(405, 'Request_BadRequest', `Method ${req.method} is not allowed on '${req.path}'.`);
}
