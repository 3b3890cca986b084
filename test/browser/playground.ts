/**
 * The Microsoft 365 Agents Playground (`@microsoft/m365agentsplayground`) as a child process
 * for browser tests: a local Teams-like client and connector, started on a free port against
 * a bot endpoint, with its signed-in user configured through the Playground's own config file
 * (`M365_AGENTS_PLAYGROUND_CONFIG_PATH`) so that user can be a person of the local tenant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOCAL_TENANT_ID } from '../../dev/tenant';

export interface PlaygroundPerson {
  /** Entra object id: what the bot reads as `from.aadObjectId`. */
  objectId: string;
  /** User principal name, e.g. bob@contoso.test. */
  upn: string;
}

export interface PlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://localhost:PORT/api/messages. */
  botEndpoint: string;
  /** Who is signed in to the Playground (clicks and messages come from them). */
  currentUser: PlaygroundPerson;
  /** The Playground's config needs exactly five other users of the tenant (its group chat and team members). */
  otherUsers: PlaygroundPerson[];
  /** Give up when the Playground has not said which port it listens on by then. */
  startTimeoutMs?: number;
}

export interface Playground {
  /** The web UI, e.g. http://localhost:PORT. */
  url: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const CLI = require.resolve('@microsoft/m365agentsplayground/cli.js');
const PLAYGROUND_USERS = 5;

function userEntry(person: PlaygroundPerson, teamsId: string) {
  const local = person.upn.split('@')[0] ?? person.upn;
  return {
    id: teamsId,
    name: local,
    userPrincipleName: person.upn,
    aadObjectId: person.objectId,
    givenName: local,
    surname: 'Contoso',
    email: person.upn,
  };
}

/** The Playground's config file (schema 0.1.1; `userPrincipleName` is spelled that way by the Playground). */
export function playgroundConfig(options: Pick<PlaygroundOptions, 'currentUser' | 'otherUsers'>, personalChatId: string): string {
  if (options.otherUsers.length !== PLAYGROUND_USERS) throw new Error(`The Playground's config needs exactly ${PLAYGROUND_USERS} other users, got ${options.otherUsers.length}.`);
  return stringify({
    version: '0.1.1',
    tenantId: LOCAL_TENANT_ID,
    bot: { id: 'accessmanager-local-bot', name: 'AccessManager' },
    currentUser: userEntry(options.currentUser, `29:playground-${options.currentUser.objectId}`),
    users: options.otherUsers.map((u) => userEntry(u, `29:playground-${u.objectId}`)),
    personalChat: { id: personalChatId },
    groupChat: { id: 'playground-group-chat', name: 'Group Chat' },
    team: { id: 'playground-team', name: 'Research', aadGroupId: '00000000-0000-4000-8000-0000000000c1', channels: [] },
  });
}

function waitForPort(child: ChildProcess, output: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`The Playground did not start within ${timeoutMs} ms:\n${output()}`)), timeoutMs);
    const onData = () => {
      const port = /Listening on (\d+)/.exec(output())?.[1];
      if (port) finish(undefined, Number(port));
    };
    const onExit = (code: number | null) => finish(new Error(`The Playground exited (${code}) before listening:\n${output()}`));
    function finish(err?: Error, port?: number) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    }
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Starts the Playground (no browser of its own, no telemetry) and resolves once it listens. */
export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const dir = await mkdtemp(join(tmpdir(), 'am-playground-'));
  const personalChatId = `a:playground-${options.currentUser.objectId}`;
  const configPath = join(dir, '.m365agentsplayground.yml');
  await writeFile(configPath, playgroundConfig(options, personalChatId));
  let printed = '';
  const child = spawn(process.execPath, [CLI, '--app-endpoint', options.botEndpoint, '--channel-id', 'msteams', '--port', '0', '--disable-telemetry'], {
    cwd: dir,
    env: {
      ...process.env,
      // The Playground would otherwise try to open the system's browser.
      TEAMSAPPTESTER_BROWSER: 'none',
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
      M365_AGENTS_PLAYGROUND_LOGFILE: join(dir, 'playground.log'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await waitForPort(child, () => printed, options.startTimeoutMs ?? 20_000);
    return { url: `http://localhost:${port}`, output: () => printed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
