/**
 * `main` of the deployable package (`npm run package`, deploy/package.ts). It registers every
 * function from functions.json (the table's registrations without handlers, written when the
 * package is built) and loads the app itself (app.js: the table, use cases, SDKs) on the first
 * invocation. The host indexes the functions as soon as this small file has run, without waiting
 * for Cosmos, identity, Teams and OpenAI code it may not need yet; the first invocation pays for
 * loading them once. A test loads the package and compares what it registers with the table.
 */
import { app, type InvocationContext } from '@azure/functions';
import { register, type Registration, type RegistrationOptions } from '../registrations';

type Handler = (input: unknown, context: InvocationContext) => Promise<unknown>;

/* eslint-disable @typescript-eslint/no-require-imports -- files next to this one in the package, never bundled into it */
const manifest = require('./functions.json') as RegistrationOptions[];

interface LoadedApp {
  handlers: ReadonlyMap<string, Handler>;
  close(): Promise<void>;
}

let loading: Promise<LoadedApp> | undefined;

/** The app, loaded once; a failed load is retried by the next invocation. */
function loaded(): Promise<LoadedApp> {
  loading ??= Promise.resolve()
    .then(() => {
      const appModule = require('./app.js') as { handlers(): ReadonlyMap<string, Handler>; close(): Promise<void> };
      return { handlers: appModule.handlers(), close: () => appModule.close() };
    })
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}
/* eslint-enable @typescript-eslint/no-require-imports */

// A clean stop closes the app if it was loaded, anchoring this instance's audit chains.
app.hook.appTerminate(async () => {
  const current = await loading?.catch(() => undefined);
  await current?.close();
});

for (const options of manifest) {
  const forward: Handler = async (input, context) => {
    const handler = (await loaded()).handlers.get(options.name);
    if (!handler) throw new Error(`The package registered ${options.name}, but its app has no such function: rebuild it with npm run package.`);
    return handler(input, context);
  };
  register(app, { ...options, handler: forward } as Registration);
}
