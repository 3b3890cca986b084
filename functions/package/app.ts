/**
 * The app half of the deployable package (app.js, loaded by ./main.ts on the first invocation):
 * the registration table's handlers by function name, with dependencies built on first use. The
 * package ships its policies next to this file, so that folder is the default POLICIES_DIR (the
 * working directory of a Functions worker is not the app's folder).
 */
import { join } from 'node:path';
import { lazyApp } from '../../shared/compositionRoot';
import { registrationOf } from '../registrations';
import { functionTable } from '../table';

const getApp = lazyApp(() => ({ POLICIES_DIR: join(__dirname, 'policies'), ...process.env }));

export function handlers(): ReadonlyMap<string, unknown> {
  return new Map(functionTable(getApp).map((spec) => [spec.name, registrationOf(spec).handler]));
}

/** Closes the app if an invocation built it: a clean stop anchors this instance's audit chains. */
export async function close(): Promise<void> {
  const built = await getApp.ifBuilt()?.catch(() => undefined);
  await built?.close();
}
