#!/usr/bin/env node
/**
 * `access-manager`, the CLI of everyone who uses AccessManager: request access, follow, cancel,
 * approve and deny requests, list, renew and give back grants; and for admins the audit trail
 * (query, verify, export) and the live access view. Against a local instance it speaks as a
 * local-tenant user (`--as`, through principal headers); against a deployed one with a token
 * (`--token`, or signed in through @azure/identity with `--audience`). `main(argv, io)` takes its streams and environment as arguments so
 * tests run it in-process; exit codes: 0 ok, 1 API or usage error, 2 audit verification failed.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AccessManagerClient, ApiError, UnreachableError, type AuditFilter, type GrantListFilter, type Page, type RequestListFilter } from './client';
import { defaultCredentialFactory, SIGN_IN_METHODS, tokenProvider, type CredentialFactory, type SignInMethod } from './signIn';
import { policiesInit, PoliciesInitError } from './policiesInit';
import { periodStart, wouldRevokeReport, wouldRevokeSummary, type WouldRevokeRow } from './wouldRevoke';
import { csvHeader, csvRows, OUTPUT_FORMATS, toCsv, toJson, toRecordLines, toTable, type Column, type OutputFormat } from './output';
import {
  grantCsvColumns,
  grantLines,
  grantTableColumns,
  accessCsvColumns,
  accessTableColumns,
  auditCsvColumns,
  auditTableColumns,
  requestCsvColumns,
  requestLines,
  requestTableColumns,
  suggestionCsvColumns,
  suggestionFooter,
  suggestionHeader,
  suggestionTableColumns,
  verifyCsvColumns,
  verifySummary,
} from './views';

export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: Record<string, string | undefined>;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Who `--as` may name against a local instance (the local tenant's people; `npm run cli` passes them). */
  localUsers?: LocalUsers;
  /** How `--audience` sign-in (and `policies init`'s ARM reads) get a credential (tests pass their own; default @azure/identity). */
  credentials?: CredentialFactory;
  /** A CA to trust for ARM calls (`policies init` against the local simulator). */
  armCa?: string;
  /** The clock (tests); default the system's. */
  now?: () => Date;
}

/** The users a local instance accepts through Easy Auth headers. */
export interface LocalUsers {
  users: ReadonlyArray<{ login: string; id: string; name: string; roles: string[] }>;
  /** The login used when --as is not given. */
  defaultLogin: string;
}

function findLocalUser(local: LocalUsers, nameOrId: string) {
  const key = nameOrId.trim().toLowerCase();
  return local.users.find((u) => u.login === key || u.name.toLowerCase() === key || u.id.toLowerCase() === key);
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_VERIFY_FAILED = 2;

export const DEFAULT_URL = 'http://localhost:7071';
/** The Azure CLI's public client id: device-code sign-in to ARM for `policies init`. */
const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

const starterColumns: Column<{ file: string; id: string; scope: string; exemptions: number }>[] = [
  { header: 'FILE', value: (r) => r.file },
  { header: 'SCOPE', value: (r) => r.scope, maxWidth: 90 },
  { header: 'EXEMPTIONS', value: (r) => r.exemptions },
];

const wouldRevokeTableColumns: Column<WouldRevokeRow>[] = [
  { header: 'POLICY', value: (r) => r.policyId },
  { header: 'SCOPE', value: (r) => r.scope, maxWidth: 70 },
  { header: 'PRINCIPAL', value: (r) => r.principalId },
  { header: 'ROLE', value: (r) => r.role, maxWidth: 32 },
  { header: 'FIRST SEEN', value: (r) => r.firstAt },
  { header: 'TIMES', value: (r) => r.times },
];

const wouldRevokeColumns: Column<WouldRevokeRow>[] = [
  { header: 'policyId', value: (r) => r.policyId },
  { header: 'assignmentId', value: (r) => r.assignmentId },
  { header: 'principalId', value: (r) => r.principalId },
  { header: 'role', value: (r) => r.role },
  { header: 'scope', value: (r) => r.scope },
  { header: 'firstAt', value: (r) => r.firstAt },
  { header: 'lastAt', value: (r) => r.lastAt },
  { header: 'times', value: (r) => r.times },
  { header: 'reason', value: (r) => r.reason },
];
const EXPORT_PAGE_SIZE = 500;

/** A command line that cannot work as given; reported with its message and exit code 1. */
class UsageError extends Error {}

interface GlobalOptions {
  url?: string;
  token?: string;
  audience?: string;
  login?: SignInMethod;
  tenant?: string;
  clientId?: string;
  as?: string;
  format?: OutputFormat;
}

interface Context {
  client: AccessManagerClient;
  format: OutputFormat;
  /** True when --format was given (export picks its own default otherwise). */
  formatGiven: boolean;
  io: CliIo;
}

function positiveInt(max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}.`);
    return value;
  };
}

function contextOf(command: Command, io: CliIo): Context {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const url = opts.url ?? io.env.ACCESSMANAGER_URL ?? DEFAULT_URL;
  const token = opts.token ?? (io.env.ACCESSMANAGER_TOKEN || undefined);
  const audience = opts.audience ?? (io.env.ACCESSMANAGER_AUDIENCE || undefined);
  if (opts.token && opts.as) throw new UsageError('Pass either --token (a deployed instance) or --as (a local instance), not both.');
  if (opts.audience && opts.as) throw new UsageError('Pass either --audience (sign in to a deployed instance) or --as (a local instance), not both.');
  let user;
  let tokens: (() => Promise<string>) | undefined;
  if (!token && audience) {
    const login = opts.login ?? (io.env.ACCESSMANAGER_LOGIN as SignInMethod | undefined) ?? 'azure-cli';
    if (!SIGN_IN_METHODS.includes(login)) throw new UsageError(`ACCESSMANAGER_LOGIN must be one of ${SIGN_IN_METHODS.join(', ')} (got ${JSON.stringify(login)}).`);
    try {
      tokens = tokenProvider(
        { method: login, audience, tenantId: opts.tenant ?? (io.env.AZURE_TENANT_ID || undefined), clientId: opts.clientId ?? (io.env.ACCESSMANAGER_CLIENT_ID || undefined), tell: (m) => io.stderr.write(m) },
        io.credentials,
      );
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  } else if (!token) {
    const local = io.localUsers;
    if (!local) throw new UsageError('Sign in to a deployed instance with --audience api://<app client id> (env ACCESSMANAGER_AUDIENCE), or pass --token; against a local instance use npm run cli -- --as <user>.');
    const wanted = opts.as ?? local.defaultLogin;
    user = findLocalUser(local, wanted);
    if (!user) throw new UsageError(`--as ${JSON.stringify(wanted)} is not a local-tenant user; use one of ${local.users.map((u) => u.login).join(', ')} (or their object ids).`);
  }
  let client: AccessManagerClient;
  try {
    client = new AccessManagerClient({ baseUrl: url, token, tokenProvider: tokens, user, fetch: io.fetch });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return { client, format: opts.format ?? (io.stdout.isTTY ? 'table' : 'json'), formatGiven: opts.format !== undefined, io };
}

function write(ctx: Context, text: string): void {
  ctx.io.stdout.write(text);
}

function printRows<T>(ctx: Context, rows: readonly T[], table: readonly Column<T>[], csv: readonly Column<T>[], json: unknown): void {
  if (ctx.format === 'json') write(ctx, toJson(json));
  else if (ctx.format === 'csv') write(ctx, toCsv(rows, csv));
  else write(ctx, rows.length ? toTable(rows, table) : '(none)\n');
}

/** Collects one page, or every page with --all; tells on stderr when more remain. */
async function collect<T>(ctx: Context, fetchPage: (token: string | undefined) => Promise<Page<T>>, all: boolean, startToken: string | undefined): Promise<Page<T>> {
  const items: T[] = [];
  let token = startToken;
  do {
    const page = await fetchPage(token);
    items.push(...page.items);
    token = page.continuationToken;
  } while (all && token);
  if (token) ctx.io.stderr.write(`More results: repeat with --continuation-token ${token}, or pass --all.\n`);
  return { items, ...(token ? { continuationToken: token } : {}) };
}

interface AuditFilterOptions {
  principal?: string;
  scope?: string;
  action?: string;
  request?: string;
  grant?: string;
  from?: string;
  to?: string;
}

function addAuditFilters(command: Command): Command {
  return command
    .option('--principal <objectId>', 'records about this principal')
    .option('--scope <scope>', 'records at this ARM scope and everything under it')
    .option('--action <action>', 'one action, e.g. grant.created, assignment.revoked')
    .option('--request <requestId>', 'records of one access request')
    .option('--grant <grantId>', 'records of one grant')
    .option('--from <time>', 'at or after this ISO 8601 time')
    .option('--to <time>', 'before this ISO 8601 time');
}

function auditFilterOf(o: AuditFilterOptions): AuditFilter {
  return { principalId: o.principal, scope: o.scope, action: o.action, requestId: o.request, grantId: o.grant, from: o.from, to: o.to };
}

/** Where an export goes: a file written under a temporary name and renamed when complete, or stdout. */
interface ExportSink {
  write(text: string): Promise<void>;
  finish(): Promise<void>;
  abandon(): Promise<void>;
}

function fileSink(path: string): ExportSink {
  const partial = `${path}.partial`;
  const stream: WriteStream = createWriteStream(partial, { encoding: 'utf8' });
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  const check = () => {
    if (failure) throw new UsageError(`Cannot write ${path}: ${failure.message}`);
  };
  return {
    async write(text) {
      check();
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), once(stream, 'error')]);
      check();
    },
    async finish() {
      stream.end();
      await Promise.race([once(stream, 'finish'), once(stream, 'error')]);
      check();
      await rename(partial, path);
    },
    async abandon() {
      stream.destroy();
      await unlink(partial).catch(() => undefined);
    },
  };
}

function stdoutSink(io: CliIo): ExportSink {
  return {
    async write(text) {
      io.stdout.write(text);
    },
    async finish() {},
    async abandon() {},
  };
}

interface ExportOptions extends AuditFilterOptions {
  out?: string;
  pageSize: number;
  progress?: boolean;
}

function exportFormat(ctx: Context, out: string | undefined): 'csv' | 'json' {
  if (ctx.formatGiven) {
    if (ctx.format === 'table') throw new UsageError('audit export writes csv or json: pass --format csv or --format json.');
    return ctx.format;
  }
  return out?.toLowerCase().endsWith('.json') ? 'json' : 'csv';
}

async function exportAudit(ctx: Context, options: ExportOptions): Promise<void> {
  const format = exportFormat(ctx, options.out);
  const stderr = ctx.io.stderr;
  const live = stderr.isTTY === true;
  const showProgress = live || options.progress === true;
  const sink = options.out ? fileSink(options.out) : stdoutSink(ctx.io);
  let count = 0;
  let pages = 0;
  try {
    await sink.write(format === 'csv' ? csvHeader(auditCsvColumns) : '[');
    for await (const page of ctx.client.auditPages(auditFilterOf(options), options.pageSize)) {
      if (format === 'csv') {
        await sink.write(csvRows(page.items, auditCsvColumns));
      } else if (page.items.length) {
        await sink.write(page.items.map((r, i) => `${count + i === 0 ? '\n' : ',\n'}${JSON.stringify(r)}`).join(''));
      }
      count += page.items.length;
      pages += 1;
      if (showProgress) stderr.write(live ? `\rExporting audit records: ${count} (page ${pages})` : `Exporting audit records: ${count} (page ${pages})\n`);
    }
    if (format === 'json') await sink.write(count ? '\n]\n' : ']\n');
    await sink.finish();
  } catch (err) {
    if (showProgress && live) stderr.write('\n');
    await sink.abandon();
    throw err;
  }
  if (showProgress && live) stderr.write('\n');
  if (options.out || showProgress) stderr.write(`Exported ${count} audit record${count === 1 ? '' : 's'} in ${pages} page${pages === 1 ? '' : 's'}${options.out ? ` to ${options.out}` : ''} (${format}).\n`);
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('access-manager')
    .description('AccessManager from the command line: request access, decide requests, manage your grants; audit and live access for admins.')
    .option('--url <url>', `AccessManager base URL (env ACCESSMANAGER_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token for a deployed instance (env ACCESSMANAGER_TOKEN)')
    .option('--audience <app>', 'sign in to a deployed instance for this App Service authentication app: api://<client id> or the client id (env ACCESSMANAGER_AUDIENCE)')
    .addOption(new Option('--login <method>', 'how to sign in with --audience (env ACCESSMANAGER_LOGIN; default azure-cli)').choices(SIGN_IN_METHODS))
    .option('--tenant <tenant>', 'Entra tenant for sign-in (env AZURE_TENANT_ID)')
    .option('--client-id <id>', 'device-code sign-in: the public client app (env ACCESSMANAGER_CLIENT_ID; default the audience\'s client id)')
    .option('--as <user>', io.localUsers ? `local mode: act as a local-tenant user (${io.localUsers.users.map((u) => u.login).join(', ')}, or an object id; default ${io.localUsers.defaultLogin})` : 'local mode: act as a local-tenant user (through npm run cli)')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, json otherwise)').choices(OUTPUT_FORMATS))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      `
Examples:
  $ access-manager requests create --scope /subscriptions/<id>/resourceGroups/rg-weights --role "Storage Blob Data Reader" --duration PT8H --justification "evaluate checkpoint 42"
  $ access-manager requests list
  $ access-manager grants renew <grant id> --duration PT2H --justification "eval still running"
  $ access-manager audit query --principal 00000000-0000-4000-8000-000000000011 --format table
  $ access-manager audit verify
  $ access-manager audit export --format csv --out audit.csv
  $ access-manager access list --scope /subscriptions/<id>/resourceGroups/rg-weights
  $ access-manager requests list --status pending --as bob
  $ access-manager --url https://<app>.azurewebsites.net --audience api://<client id> requests list
  $ access-manager suggest --scope /subscriptions/<id>/resourceGroups/rg-weights --need "read the eval checkpoints in stweights"
  $ access-manager --url https://<app>.azurewebsites.net --token "$TOKEN" audit verify
  $ access-manager policies init --subscription <id> --approver-group <group id> --force
  $ access-manager report would-revoke --since 7d

Exit codes: 0 ok, 1 API or usage error, 2 audit verification failed.`,
    );

  const audit = program.command('audit').description('query, verify and export the tamper-evident audit trail (admin)');

  addAuditFilters(audit.command('query').description('audit records, newest first'))
    .option('--limit <n>', 'records per page (1-500, default 50)', positiveInt(500))
    .option('--all', 'follow continuation tokens through every page')
    .option('--continuation-token <token>', 'continue a previous query (same filters)')
    .action(async (options: AuditFilterOptions & { limit?: number; all?: boolean; continuationToken?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const filter = auditFilterOf(options);
      const page = await collect(ctx, (token) => ctx.client.queryAudit(filter, { limit: options.limit, continuationToken: token }), options.all === true, options.continuationToken);
      printRows(ctx, page.items, auditTableColumns, auditCsvColumns, { items: page.items, continuationToken: page.continuationToken ?? null });
    });

  audit
    .command('verify')
    .description('walk every hash chain; exit code 2 when anything was altered, removed or reordered')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      const result = await ctx.client.verifyAudit();
      if (ctx.format === 'json') write(ctx, toJson(result));
      else if (ctx.format === 'csv') write(ctx, toCsv([result], verifyCsvColumns));
      else write(ctx, verifySummary(result));
      if (!result.ok) {
        if (ctx.format !== 'table') io.stderr.write(verifySummary(result));
        setExitCode(EXIT_VERIFY_FAILED);
      }
    });

  addAuditFilters(audit.command('export').description('every matching record, all pages, as csv (default) or json (--format json)'))
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--page-size <n>', `records per request (1-500, default ${EXPORT_PAGE_SIZE})`, positiveInt(500), EXPORT_PAGE_SIZE)
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .action(async (options: ExportOptions, command: Command) => {
      await exportAudit(contextOf(command, io), options);
    });

  const access = program.command('access').description('the live access view (admin)');
  access
    .command('list')
    .description('every live role assignment at and under a scope, with the grant, exemption or verdict behind it')
    .option('--scope <scope>', 'ARM scope (default: the governed subscription)')
    .action(async (options: { scope?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const items = await ctx.client.listAccess(options.scope);
      printRows(ctx, items, accessTableColumns, accessCsvColumns, { items });
    });

  const requests = program.command('requests').description('ask for access, follow, cancel, approve and deny requests');
  requests
    .command('create')
    .description('ask for a role on a scope, for a time, with a justification')
    .requiredOption('--scope <scope>', 'ARM scope: a resource group or a resource inside it')
    .requiredOption('--role <role>', 'role name (Storage Blob Data Reader), GUID or role definition id')
    .requiredOption('--duration <duration>', 'ISO 8601, counted from the grant, e.g. PT8H')
    .option('--justification <text>', 'what you will do with it (some policies require it)', '')
    .option('--for <objectId>', 'admins: ask on behalf of this principal')
    .action(async (options: { scope: string; role: string; duration: string; justification: string; for?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.createRequest({ scope: options.scope, role: options.role, duration: options.duration, justification: options.justification, ...(options.for ? { principalId: options.for } : {}) }));
    });

  requests
    .command('exception')
    .description('ask for a time-bound exception to a storage account or key vault guardrail, approved like a role request')
    .requiredOption('--scope <id>', 'the storage account or key vault id')
    .requiredOption('--property <name>', 'the guarded setting, e.g. allowSharedKeyAccess')
    .requiredOption('--value <value>', 'the value it may hold meanwhile (true, false, or the setting\'s text value)')
    .requiredOption('--duration <duration>', 'ISO 8601, counted from the approval, e.g. P1D')
    .requiredOption('--justification <text>', 'why the guardrail must give way')
    .requiredOption('--compensating-control <text>', 'what protects the resource meanwhile')
    .action(async (options: { scope: string; property: string; value: string; duration: string; justification: string; compensatingControl: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const allowedValue = options.value === 'true' ? true : options.value === 'false' ? false : options.value;
      printRequest(
        ctx,
        await ctx.client.createRequest({
          kind: 'guardrailException',
          scope: options.scope,
          guardrail: { property: options.property, allowedValue, compensatingControl: options.compensatingControl },
          duration: options.duration,
          justification: options.justification,
        }),
      );
    });

  requests
    .command('list')
    .description('your own requests and those you may approve (both, by default); admins: --everyone')
    .addOption(new Option('--status <status>', 'only requests in this state').choices(['pending', 'approved', 'denied', 'cancelled', 'timedOut', 'failed']))
    .option('--mine', 'only requests you made')
    .option('--approver-me', 'only requests you may approve')
    .option('--everyone', 'admins: every request')
    .option('--limit <n>', 'requests per page (1-200)', positiveInt(200))
    .option('--all', 'follow continuation tokens through every page')
    .option('--continuation-token <token>', 'continue a previous listing (same filters)')
    .action(
      async (
        options: { status?: RequestListFilter['status']; mine?: boolean; approverMe?: boolean; everyone?: boolean; limit?: number; all?: boolean; continuationToken?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command, io);
        if (options.everyone && (options.mine || options.approverMe)) throw new UsageError('--everyone lists every request: leave out --mine and --approver-me.');
        const neither = !options.mine && !options.approverMe && !options.everyone;
        const filter: RequestListFilter = { status: options.status, mine: options.mine || neither, approverMe: options.approverMe || neither };
        const page = await collect(ctx, (token) => ctx.client.listRequests(filter, { limit: options.limit, continuationToken: token }), options.all === true, options.continuationToken);
        printRows(ctx, page.items, requestTableColumns, requestCsvColumns, { items: page.items, continuationToken: page.continuationToken ?? null });
      },
    );

  requests
    .command('show <id>')
    .description('one request: where it stands, who decided what')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.getRequest(id));
    });

  requests
    .command('cancel <id>')
    .description('withdraw your pending request')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.cancelRequest(id));
    });

  requests
    .command('approve <id>')
    .description('approve a request (you must be an eligible approver)')
    .option('--comment <text>', 'a comment recorded with your approval')
    .action(async (id: string, options: { comment?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.approveRequest(id, options.comment));
    });

  requests
    .command('deny <id>')
    .description('deny a request (you must be an eligible approver)')
    .requiredOption('--reason <text>', 'why you deny it (shown to the requester)')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.denyRequest(id, options.reason));
    });

  const grants = program.command('grants').description('the access you hold: list, renew, give back');
  grants
    .command('list')
    .description('your grants (admins: anyone\'s, with --principal)')
    .addOption(new Option('--status <status>', 'only grants in this state').choices(['active', 'expired', 'revoked']))
    .option('--scope <scope>', 'only grants at this ARM scope')
    .option('--principal <objectId>', 'admins: grants of this principal')
    .option('--limit <n>', 'grants per page (1-200)', positiveInt(200))
    .option('--all', 'follow continuation tokens through every page')
    .option('--continuation-token <token>', 'continue a previous listing (same filters)')
    .action(async (options: { status?: GrantListFilter['status']; scope?: string; principal?: string; limit?: number; all?: boolean; continuationToken?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const filter: GrantListFilter = { status: options.status, scope: options.scope, principalId: options.principal };
      const page = await collect(ctx, (token) => ctx.client.listGrants(filter, { limit: options.limit, continuationToken: token }), options.all === true, options.continuationToken);
      printRows(ctx, page.items, grantTableColumns, grantCsvColumns, { items: page.items, continuationToken: page.continuationToken ?? null });
    });

  grants
    .command('renew <id>')
    .description('ask for more time: a new request linked to the grant, approved like any other')
    .requiredOption('--duration <duration>', 'ISO 8601, how much longer, e.g. PT2H')
    .option('--justification <text>', 'why you still need it', '')
    .action(async (id: string, options: { duration: string; justification: string }, command: Command) => {
      const ctx = contextOf(command, io);
      printRequest(ctx, await ctx.client.renewGrant(id, { duration: options.duration, justification: options.justification }));
    });

  grants
    .command('revoke <id>')
    .description('give a grant back early (holders), or end it (admins): the role assignment is removed')
    .requiredOption('--reason <text>', 'why it ends early (recorded in the audit trail)')
    .action(async (id: string, options: { reason: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const grant = await ctx.client.revokeGrant(id, options.reason);
      if (ctx.format === 'json') write(ctx, toJson(grant));
      else if (ctx.format === 'csv') write(ctx, toCsv([grant], grantCsvColumns));
      else write(ctx, toRecordLines(grantLines(grant)));
    });

  program
    .command('suggest')
    .description('the narrowest roles for what you need at a scope (anyone signed in)')
    .requiredOption('--scope <scope>', 'ARM scope: where you need access')
    .option('--action <operation>', 'a control-plane operation you need (repeatable)', collectValues, [])
    .option('--data-action <operation>', 'a data operation you need (repeatable)', collectValues, [])
    .option('--need <text>', 'the need in words, read by the language model when one is configured')
    .action(async (options: { scope: string; action: string[]; dataAction: string[]; need?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      if (options.action.length + options.dataAction.length === 0 && !options.need) throw new UsageError('Say what you need: --action, --data-action (repeatable) or --need "<words>".');
      const answer = await ctx.client.suggest({
        scope: options.scope,
        ...(options.action.length ? { actions: options.action } : {}),
        ...(options.dataAction.length ? { dataActions: options.dataAction } : {}),
        ...(options.need ? { need: options.need } : {}),
      });
      const rows = answer.items.map((s, i) => ({ ...s, rank: i + 1 }));
      if (ctx.format === 'json') write(ctx, toJson(answer));
      else if (ctx.format === 'csv') write(ctx, toCsv(rows, suggestionCsvColumns));
      else write(ctx, suggestionHeader(answer) + (rows.length ? toTable(rows, suggestionTableColumns) : '(no role covers this)\n') + suggestionFooter(answer));
    });

  const policies = program.command('policies').description('policy files: starter policies for a real tenant');
  policies
    .command('init')
    .description("read a subscription through ARM as you (az login, or --login device-code) and write audit-mode policies that exempt today's standing access, for review in git")
    .option('--subscription <id>', 'subscription to read (repeatable)', collectValues, [])
    .option('--out <dir>', 'folder to write the policies to', 'policies')
    .option('--approver-group <objectId>', 'Entra group whose members approve requests (repeatable); without one, the policies list no requestable roles yet', collectValues, [])
    .option('--force', 'replace the policy files already in --out (git keeps the old ones)')
    .option('--arm-endpoint <url>', 'Azure Resource Manager (env ARM_ENDPOINT; default https://management.azure.com)')
    .action(async (options: { subscription: string[]; out: string; approverGroup: string[]; force?: boolean; armEndpoint?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const endpoint = options.armEndpoint ?? (io.env.ARM_ENDPOINT || 'https://management.azure.com');
      const login = globals.login ?? (io.env.ACCESSMANAGER_LOGIN as SignInMethod | undefined) ?? 'azure-cli';
      const credential = (io.credentials ?? defaultCredentialFactory)({
        method: login,
        audience: new URL(endpoint).origin,
        tenantId: globals.tenant ?? (io.env.AZURE_TENANT_ID || undefined),
        // Device code against ARM signs in as the Azure CLI's public client unless told otherwise.
        clientId: globals.clientId ?? AZURE_CLI_CLIENT_ID,
        tell: (m) => io.stderr.write(m),
      });
      let result;
      try {
        result = await policiesInit({
          subscriptions: options.subscription,
          out: options.out,
          approverGroups: options.approverGroup,
          force: options.force === true,
          arm: { endpoint, ...(io.armCa ? { ca: io.armCa } : {}) },
          credential,
          now: (io.now ?? (() => new Date()))(),
        });
      } catch (err) {
        if (err instanceof PoliciesInitError) throw new UsageError(err.message);
        throw err;
      }
      const rows = result.written.map((p) => ({ file: `${options.out}/${p.file}`, id: p.id, scope: p.scope, exemptions: p.exemptions }));
      const format = command.optsWithGlobals<GlobalOptions>().format ?? (io.stdout.isTTY ? 'table' : 'json');
      if (format === 'json') io.stdout.write(toJson({ policies: rows, removed: result.removed, inherited: result.inherited }));
      else if (format === 'csv') io.stdout.write(toCsv(rows, starterColumns));
      else io.stdout.write(toTable(rows, starterColumns));
      io.stderr.write(
        `Wrote ${rows.length} polic${rows.length === 1 ? 'y' : 'ies'} in audit mode with ${rows.reduce((n, r) => n + r.exemptions, 0)} exemption(s) for today's standing access` +
          `${result.inherited ? ` (${result.inherited} assignment(s) inherited from above the subscription are not governed by them)` : ''}.\n` +
          `Review them (git diff), npm run policies:check, deploy, and after a week: access-manager report would-revoke --since 7d.\n`,
      );
    });

  const report = program.command('report').description('reports from the audit trail (admin)');
  report
    .command('would-revoke')
    .description('what enforce mode would have revoked during a period in audit mode: one row per assignment, by policy')
    .option('--since <period>', 'start of the period: 7d, 36h, 90m, 2w, or an ISO 8601 time', '7d')
    .option('--until <time>', 'end of the period (ISO 8601; default now)')
    .option('--scope <scope>', 'only assignments at or under this ARM scope')
    .action(async (options: { since: string; until?: string; scope?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const now = (io.now ?? (() => new Date()))();
      let from: string;
      let to: string;
      try {
        from = periodStart(options.since, now);
        to = options.until ? periodStart(options.until, now) : now.toISOString();
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const records = [];
      for await (const page of ctx.client.auditPages({ action: 'assignment.wouldRevoke', from, to, scope: options.scope }, EXPORT_PAGE_SIZE)) records.push(...page.items);
      const result = wouldRevokeReport(records, from, to);
      if (ctx.format === 'json') write(ctx, toJson(result));
      else if (ctx.format === 'csv') write(ctx, toCsv(result.rows, wouldRevokeColumns));
      else write(ctx, (result.rows.length ? toTable(result.rows, wouldRevokeTableColumns) : '') + wouldRevokeSummary(result));
    });

  return program;
}

/** Commander's way to repeat an option: each use adds one value. */
function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function printRequest(ctx: Context, request: Parameters<typeof requestLines>[0]): void {
  if (ctx.format === 'json') write(ctx, toJson(request));
  else if (ctx.format === 'csv') write(ctx, toCsv([request], requestCsvColumns));
  else write(ctx, toRecordLines(requestLines(request)));
}

/** Every failure becomes one message on stderr and an exit code; stack traces only for our own bugs. */
function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
  if (err instanceof Error && (err.name === 'CredentialUnavailableError' || err.name === 'AuthenticationError' || err.name === 'AuthenticationRequiredError')) {
    io.stderr.write(`Sign-in failed: ${err.message.split('\n')[0]}\nWith --login azure-cli, run az login first (the app must accept the Azure CLI as a client); or use --login device-code.\n`);
    return EXIT_ERROR;
  }
  if (err instanceof UnreachableError || err instanceof UsageError) {
    io.stderr.write(`${err.message}\n`);
    return EXIT_ERROR;
  }
  if (err instanceof ApiError) {
    io.stderr.write(`Error ${err.code} (HTTP ${err.status}): ${err.message}\n`);
    if (err.status === 401) io.stderr.write('Sign in with --audience api://<client id> (or pass --token) for a deployed instance; locally, --as <user>.\n');
    if (err.status === 403 && err.code === 'AdminOnly') io.stderr.write('This command needs an AccessManager admin; locally, --as erin.\n');
    return EXIT_ERROR;
  }
  io.stderr.write(`access-manager failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_ERROR;
}

/** Runs the CLI on argv and returns the exit code; never throws and never exits the process. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

/** The process entry point: real streams and environment; sets the exit code and lets output drain. */
export function runFromProcess(localUsers?: LocalUsers): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, ...(localUsers ? { localUsers } : {}) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = EXIT_ERROR;
    },
  );
}

if (require.main === module) runFromProcess();
