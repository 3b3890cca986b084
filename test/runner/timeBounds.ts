/**
 * A time bound on every test and hook. jest-light-runner calls them without one (it ignores both
 * `testTimeout` and the third argument), so a hung test would hang the whole gate instead of
 * failing with its name. Loaded once per worker, after the runner has installed the globals: it
 * wraps each function as it is registered, with the bound jest would give it.
 */
export {};

/** jest's `testTimeout` for this project: the bound of a test or hook that names none. */
const DEFAULT_BOUND_MS = 30_000;

type Body = (...args: unknown[]) => unknown;
type Register = (name: string, fn?: Body, timeout?: number) => unknown;
type Each = (...table: unknown[]) => Register;
type TestApi = Register & { only?: TestApi; skip: unknown; todo: unknown; each: Each; concurrent?: unknown; failing?: unknown };
type Hook = (fn: Body, timeout?: number) => unknown;

function bounded(fn: Body, ms: number, what: string): Body {
  return function (this: unknown, ...args: unknown[]) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Exceeded the ${ms} ms bound of ${what} (give it a larger third argument if it needs more)`)), ms);
    });
    return Promise.race([Promise.resolve().then(() => fn.apply(this, args)), expired]).finally(() => clearTimeout(timer));
  };
}

function boundTests(original: TestApi): TestApi {
  const register: Register = (name, fn, timeout) => original(name, fn && bounded(fn, timeout ?? DEFAULT_BOUND_MS, `"${name}"`), timeout);
  const each: Each = (...table) => {
    const registerRows = original.each(...table);
    return (name, fn, timeout) => registerRows(name, fn && bounded(fn, timeout ?? DEFAULT_BOUND_MS, `"${name}"`), timeout);
  };
  const api = Object.assign(register, { ...original, each }) as TestApi;
  if (original.only) api.only = boundTests(original.only);
  return api;
}

function boundHook(original: Hook, name: string): Hook {
  return (fn, timeout) => original(bounded(fn, timeout ?? DEFAULT_BOUND_MS, name), timeout);
}

const jestGlobals = globalThis as unknown as Record<string, unknown>;
const tests = boundTests(jestGlobals['test'] as TestApi);
jestGlobals['test'] = tests;
jestGlobals['it'] = tests;
jestGlobals['fit'] = tests.only;
for (const hook of ['beforeAll', 'afterAll', 'beforeEach', 'afterEach']) jestGlobals[hook] = boundHook(jestGlobals[hook] as Hook, hook);
