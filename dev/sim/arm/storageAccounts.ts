/**
 * Storage accounts in the simulated ARM (Microsoft.Storage, api-version 2023-05-01 and later):
 * GET/PUT/PATCH of the account in its wire shape (networkAcls replaced whole on write, read-only
 * properties ignored), the key and SAS actions (listKeys, regenerateKey, listAccountSas,
 * listServiceSas; matched in any letter case, as SDK versions differ), private endpoint
 * connections, and listings. Each write emits ResourceWriteSuccess and each action
 * ResourceActionSuccess, with the caller's claims, as Azure does.
 */
import { createHash, createHmac } from 'node:crypto';
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { ok, SimHttpError, type SimReply } from '../http';
import { storageAccount, type ArmResource } from '../seed';
import { RESOURCE_DELETE_SUCCESS } from '../events/armEvent';
import { methodNotAllowed, type ArmContext } from './context';
import { ACTION_EVENT, authorizeOperation, pageOf, requireApiVersion, resourcesOfType, writeGuarded } from './guardedWrites';
import { resourceItem } from './resources';

const TYPE = 'Microsoft.Storage/storageAccounts';
export const STORAGE_MIN_API_VERSION = '2023-05-01';
const NAME = /^[a-z0-9]{3,24}$/;

const READ_ONLY = ['provisioningState', 'creationTime', 'primaryEndpoints', 'primaryLocation', 'statusOfPrimary', 'privateEndpointConnections', 'keyCreationTime', 'secondaryLocation', 'statusOfSecondary'];
const ACTIONS: ReadonlyMap<string, string> = new Map(['listKeys', 'regenerateKey', 'listAccountSas', 'listServiceSas'].map((a) => [a.toLowerCase(), a]));

function found(ctx: ArmContext, id: string): ArmResource {
  const account = ctx.state.resources.get(scopeKey(id));
  if (!account) {
    const segments = id.split('/').filter(Boolean);
    throw new SimHttpError(404, 'ResourceNotFound', `The Resource '${TYPE}/${segments[7] ?? ''}' under resource group '${segments[3] ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
  }
  return account;
}

/** The two account keys, derived from the account and each key's creation time (regenerating changes it). */
function keysOf(account: ArmResource): Array<{ keyName: string; value: string; permissions: string; creationTime: string }> {
  const created = (account.properties['keyCreationTime'] as Record<string, string> | undefined) ?? {};
  return ['key1', 'key2'].map((keyName) => {
    const creationTime = created[keyName] ?? String(account.properties['creationTime'] ?? '');
    return { keyName, value: createHash('sha512').update(`${scopeKey(account.id)}|${keyName}|${creationTime}`).digest('base64'), permissions: 'FULL', creationTime };
  });
}

function sasSignature(account: ArmResource, text: string): string {
  return encodeURIComponent(createHmac('sha256', keysOf(account)[0]!.value).update(text).digest('base64'));
}

function requireFields(body: unknown, fields: readonly string[], action: string): Record<string, unknown> {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const missing = fields.filter((f) => typeof b[f] !== 'string' || (b[f] as string).length === 0);
  if (missing.length > 0) throw new SimHttpError(400, 'InvalidValuesForRequestParameters', `Values for request parameters are invalid: ${missing.join(', ')} (required by ${action}).`);
  return b;
}

function action(ctx: ArmContext, id: string, name: string): SimReply {
  if (ctx.req.method !== 'POST') throw methodNotAllowed(ctx);
  const account = found(ctx, id);
  const emit = authorizeOperation(ctx, id, `${TYPE}/${name}/action`, ACTION_EVENT);
  let reply: SimReply;
  switch (name) {
    case 'listKeys':
      reply = ok({ keys: keysOf(account) });
      break;
    case 'regenerateKey': {
      const b = requireFields(ctx.req.body, ['keyName'], name);
      const keyName = String(b['keyName']).toLowerCase();
      if (keyName !== 'key1' && keyName !== 'key2') throw new SimHttpError(400, 'InvalidValuesForRequestParameters', `keyName must be key1 or key2, not '${String(b['keyName'])}'.`);
      const created = { ...((account.properties['keyCreationTime'] as Record<string, string> | undefined) ?? {}), [keyName]: new Date().toISOString() };
      const updated = { ...account, properties: { ...account.properties, keyCreationTime: created } };
      ctx.state.resources.set(scopeKey(id), updated);
      reply = ok({ keys: keysOf(updated) });
      break;
    }
    case 'listAccountSas': {
      const b = requireFields(ctx.req.body, ['signedServices', 'signedResourceTypes', 'signedPermission', 'signedExpiry'], name);
      const text = `sv=2022-11-02&ss=${String(b['signedServices'])}&srt=${String(b['signedResourceTypes'])}&sp=${String(b['signedPermission'])}&se=${encodeURIComponent(String(b['signedExpiry']))}&spr=${String(b['signedProtocol'] ?? 'https')}`;
      reply = ok({ accountSasToken: `${text}&sig=${sasSignature(account, text)}` });
      break;
    }
    case 'listServiceSas': {
      const b = requireFields(ctx.req.body, ['canonicalizedResource'], name);
      const text = `sv=2022-11-02&sr=${String(b['signedResource'] ?? 'c')}&sp=${String(b['signedPermission'] ?? 'r')}&se=${encodeURIComponent(String(b['signedExpiry'] ?? ''))}`;
      reply = ok({ serviceSasToken: `${text}&sig=${sasSignature(account, `${String(b['canonicalizedResource'])}\n${text}`)}` });
      break;
    }
    default:
      throw methodNotAllowed(ctx);
  }
  emit();
  return reply;
}

function connectionsOf(account: ArmResource): Array<Record<string, unknown>> {
  return (account.properties['privateEndpointConnections'] as Array<Record<string, unknown>> | undefined) ?? [];
}

/** A private endpoint connection: read, approve/reject/create (PUT) or delete. */
function privateEndpointConnection(ctx: ArmContext, id: string, name: string): SimReply {
  const account = found(ctx, id);
  const connectionId = `${account.id}/privateEndpointConnections/${name}`;
  const connections = connectionsOf(account);
  const existing = connections.find((c) => String(c['name']).toLowerCase() === name.toLowerCase());
  switch (ctx.req.method) {
    case 'GET':
      if (!existing) throw new SimHttpError(404, 'PrivateEndpointConnectionNotFound', `Private endpoint connection '${name}' was not found on ${account.name}.`);
      return ok(existing);
    case 'PUT': {
      const emit = authorizeOperation(ctx, connectionId, `${TYPE}/privateEndpointConnections/write`);
      const body = (ctx.req.body ?? {}) as { properties?: { privateLinkServiceConnectionState?: { status?: unknown; description?: unknown } } };
      const status = body.properties?.privateLinkServiceConnectionState?.status;
      if (status !== 'Approved' && status !== 'Rejected' && status !== 'Pending') {
        throw new SimHttpError(400, 'InvalidRequestContent', 'properties.privateLinkServiceConnectionState.status must be Approved, Rejected or Pending.');
      }
      const connection = {
        id: connectionId,
        name,
        type: `${TYPE}/privateEndpointConnections`,
        properties: {
          provisioningState: 'Succeeded',
          privateEndpoint: { id: `/subscriptions/${ctx.state.subscriptionId}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/${name}` },
          privateLinkServiceConnectionState: { status, description: typeof body.properties?.privateLinkServiceConnectionState?.description === 'string' ? body.properties.privateLinkServiceConnectionState.description : '', actionRequired: 'None' },
        },
      };
      const next = [...connections.filter((c) => c !== existing), connection];
      ctx.state.resources.set(scopeKey(account.id), { ...account, properties: { ...account.properties, privateEndpointConnections: next } });
      emit();
      return ok(connection);
    }
    case 'DELETE': {
      if (!existing) return { status: 204 };
      const emit = authorizeOperation(ctx, connectionId, `${TYPE}/privateEndpointConnections/delete`, RESOURCE_DELETE_SUCCESS);
      ctx.state.resources.set(scopeKey(account.id), { ...account, properties: { ...account.properties, privateEndpointConnections: connections.filter((c) => c !== existing) } });
      emit();
      return ok(undefined);
    }
    default:
      throw methodNotAllowed(ctx);
  }
}

/** Routes `{account id}[/...]`. `rest` is what follows the account id. */
export function storageAccountRoute(ctx: ArmContext, accountPath: string, rest: readonly string[]): SimReply {
  const id = normalizeScope(accountPath);
  if (rest.length === 0) {
    requireApiVersion(ctx, STORAGE_MIN_API_VERSION, TYPE);
    switch (ctx.req.method) {
      case 'GET':
        return ok(found(ctx, id));
      case 'PUT':
      case 'PATCH': {
        const segments = id.split('/').filter(Boolean);
        const name = segments[7] ?? '';
        if (!ctx.state.resources.has(scopeKey(id)) && !NAME.test(name)) throw new SimHttpError(400, 'AccountNameInvalid', `'${name}' is not a valid storage account name: use 3-24 lower-case letters and digits.`);
        const emit = authorizeOperation(ctx, id, `${TYPE}/write`);
        const { resource } = writeGuarded(ctx, id, () => storageAccount('/' + segments.slice(0, 4).join('/'), name), {
          readOnly: READ_ONLY,
          replaceWhole: ['networkAcls'],
          validate: (body) => {
            const tls = body['minimumTlsVersion'];
            if (tls !== undefined && !['TLS1_0', 'TLS1_1', 'TLS1_2', 'TLS1_3'].includes(String(tls))) throw new SimHttpError(400, 'InvalidValuesForRequestParameters', `minimumTlsVersion '${String(tls)}' is not one of TLS1_0, TLS1_1, TLS1_2, TLS1_3.`);
            const acl = body['networkAcls'] as Record<string, unknown> | undefined;
            if (acl !== undefined && acl['defaultAction'] !== 'Allow' && acl['defaultAction'] !== 'Deny') throw new SimHttpError(400, 'InvalidValuesForRequestParameters', 'networkAcls.defaultAction must be Allow or Deny.');
          },
        });
        emit();
        // The storage RP finishes synchronously here: 200 with provisioningState Succeeded ends the SDK's poller at once.
        return ok(resource, 200);
      }
      default:
        throw methodNotAllowed(ctx);
    }
  }
  const head = rest[0]!.toLowerCase();
  const act = ACTIONS.get(head);
  if (act && rest.length === 1) {
    requireApiVersion(ctx, STORAGE_MIN_API_VERSION, TYPE);
    return action(ctx, id, act);
  }
  if (head === 'privateendpointconnections') {
    requireApiVersion(ctx, STORAGE_MIN_API_VERSION, TYPE);
    if (rest.length === 1) {
      if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
      return ok({ value: connectionsOf(found(ctx, id)) });
    }
    if (rest.length === 2) return privateEndpointConnection(ctx, id, rest[1]!);
  }
  return resourceItem(ctx, `${id}/${rest.join('/')}`);
}

/** GET `/subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.Storage/storageAccounts`. */
export function storageAccountList(ctx: ArmContext, scope: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  requireApiVersion(ctx, STORAGE_MIN_API_VERSION, TYPE);
  return ok(pageOf(ctx, resourcesOfType(ctx, scope, TYPE)));
}
