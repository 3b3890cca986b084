/**
 * The templates read as a compiler would check them (none runs here): parameters passed exist
 * and required ones are passed, module calls match the modules, what the hooks read is what
 * main.bicep outputs, and azure.yaml deploys the package with the hooks that exist.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import parameters from '../../infra/main.parameters.json';
import { denyRoleAssigningRoles } from '../../deploy/rbacCondition';
import { bicepFiles, bicepModules, bicepParams, readRepoFile, sourceFiles } from './bicep';

const root = join(__dirname, '..', '..');
const main = readRepoFile('infra/main.bicep');

test('main.parameters.json passes only parameters main.bicep declares, and every required one', () => {
  const declared = bicepParams(main);
  const passed = Object.keys(parameters.parameters);
  expect(passed.filter((name) => !declared.some((p) => p.name === name))).toEqual([]);
  expect(declared.filter((p) => p.required).map((p) => p.name).filter((name) => !passed.includes(name))).toEqual([]);
});

test('every module call passes parameters the module declares, and all it requires', () => {
  for (const file of bicepFiles()) {
    for (const call of bicepModules(readRepoFile(file))) {
      const modulePath = join(dirname(file), call.path);
      expect({ call: call.symbol, exists: existsSync(join(root, modulePath)) }).toEqual({ call: call.symbol, exists: true });
      const declared = bicepParams(readRepoFile(modulePath));
      expect({ call: call.symbol, unknown: call.params.filter((p) => !declared.some((d) => d.name === p)) }).toEqual({ call: call.symbol, unknown: [] });
      expect({ call: call.symbol, missing: declared.filter((d) => d.required && !call.params.includes(d.name)).map((d) => d.name) }).toEqual({ call: call.symbol, missing: [] });
    }
  }
});

test('what the hooks read from the azd environment is set by azd or output by main.bicep', () => {
  const outputs = [...main.matchAll(/^output (\w+) /gm)].map((m) => m[1]!);
  const azdBuiltIns = ['AZURE_ENV_NAME', 'AZURE_SUBSCRIPTION_ID', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID'];
  const read = sourceFiles('deploy').flatMap((file) => [...readRepoFile(file).matchAll(/requiredEnv\('(\w+)'\)/g)].map((m) => m[1]!));
  expect(read.length).toBeGreaterThan(5);
  expect([...new Set(read)].filter((name) => !outputs.includes(name) && !azdBuiltIns.includes(name))).toEqual([]);
});

test('azure.yaml deploys the package as a Flex function app, with hooks that exist', () => {
  type Hooks = Record<string, { posix: { run: string }; windows: { run: string } }>;
  const azure = parse(readRepoFile('azure.yaml')) as {
    services: { api: { host: string; language: string; dist: string; remoteBuild: boolean; project: string; hooks: Hooks } };
    hooks: Hooks;
  };
  expect(azure.services.api).toMatchObject({ host: 'function', language: 'ts', dist: 'artifacts/package', remoteBuild: false, project: '.' });
  // azd finds the app to deploy by this tag.
  expect(main).toMatch(/'azd-service-name': 'api'/);
  expect(Object.keys(azure.services.api.hooks)).toEqual(['prepackage']);
  for (const [name, hook] of [...Object.entries(azure.hooks), ...Object.entries(azure.services.api.hooks)]) {
    for (const run of [hook.posix.run, hook.windows.run]) expect({ name, run, exists: existsSync(join(root, run)) }).toEqual({ name, run, exists: true });
  }
});

test('the default RBAC condition in governance.bicep is the one deploy/rbacCondition.ts writes', () => {
  const literal = /var defaultCondition = '(.*)'$/m.exec(readRepoFile('infra/app/governance.bicep'))?.[1]?.replace(/\\'/g, "'");
  expect(literal).toBe(denyRoleAssigningRoles());
});

test('Microsoft Graph permissions are looked up by name, and both are granted', () => {
  const entra = readRepoFile('infra/app/entra.bicep');
  expect(entra).toMatch(/param graphPermissions array = \['User\.Read\.All', 'GroupMember\.Read\.All'\]/);
  expect(entra).toMatch(/filter\(microsoftGraph\.appRoles, r => r\.value == permission\)/);
  expect(readRepoFile('infra/hooks/entra.sh')).toMatch(/for permission in User\.Read\.All GroupMember\.Read\.All/);
});

test('App Service authentication lets through exactly the callers that authenticate otherwise, in both letter cases for Event Grid', () => {
  const fn = readRepoFile('infra/app/function.bicep');
  for (const path of ['/runtime/webhooks/eventgrid', '/runtime/webhooks/EventGrid', '/api/messages', '/api/health']) expect(fn).toContain(`'${path}'`);
  expect(fn).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
  expect(fn).toMatch(/sku: \{ tier: 'FlexConsumption', name: 'FC1' \}/);
});
