/**
 * Entry point for the Azure Functions host when it runs the build (package.json `main`): registers
 * the table with `@azure/functions`; nothing else calls `app.*`. Dependencies are built once, on
 * first use, from the app settings (a bad setting fails every invocation with a message naming
 * it). The deployable package has its own entry (./package/main.ts) that registers the same table.
 */
import { app } from '@azure/functions';
import { lazyApp } from '../shared/compositionRoot';
import { register, registrationOf } from './registrations';
import { functionTable } from './table';

const getApp = lazyApp(() => process.env);

// A clean stop closes this instance's audit chains, anchoring their last records (a crash cannot:
// anchors are written at most about a second behind for that case).
app.hook.appTerminate(async () => {
  const built = await getApp.ifBuilt()?.catch(() => undefined);
  await built?.close();
});

for (const spec of functionTable(getApp)) register(app, registrationOf(spec));
