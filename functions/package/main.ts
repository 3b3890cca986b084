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

let loading: Promise<ReadonlyMap<string, Handler>> | undefined;

/** The app's handlers, loaded once; a failed load is retried by the next invocation. */
function handlers(): Promise<ReadonlyMap<string, Handler>> {
  loading ??= Promise.resolve()
    .then(() => (require('./app.js') as { handlers(): ReadonlyMap<string, Handler> }).handlers())
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}
/* eslint-enable @typescript-eslint/no-require-imports */

for (const options of manifest) {
  const forward: Handler = async (input, context) => {
    const handler = (await handlers()).get(options.name);
    if (!handler) throw new Error(`The package registered ${options.name}, but its app has no such function: rebuild it with npm run package.`);
    return handler(input, context);
  };
  register(app, { ...options, handler: forward } as Registration);
}
