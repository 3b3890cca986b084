/** The Teams app package (appPackage/, deploy/teamsApp.ts), validated offline as `npm run teams:package` validates it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { PNG } from 'pngjs';
import { appPackageDir, buildTeamsPackage, fillManifest, iconProblems, schemaProblems } from '../../deploy/teamsApp';

const values = { BOT_APP_ID: '00000000-0000-4000-8000-0000000000b0', FUNCTION_APP_URL: 'https://func-am-abc123.azurewebsites.net' };
const dir = appPackageDir();
const template = readFileSync(join(dir, 'manifest.json'), 'utf8');

test('the manifest is valid against the Teams schema of its version, with the bot, its scopes and its commands', () => {
  const manifest = fillManifest(template, values);
  expect(schemaProblems(manifest)).toEqual([]);
  expect(manifest).toMatchObject({
    id: values.BOT_APP_ID,
    validDomains: ['func-am-abc123.azurewebsites.net'],
    bots: [{ botId: values.BOT_APP_ID, scopes: ['personal', 'team'], commandLists: [{ commands: expect.arrayContaining([expect.objectContaining({ title: 'request' })]) }] }],
  });
});

test('schema violations are reported with their path', () => {
  const manifest = fillManifest(template, values);
  delete manifest.accentColor;
  (manifest.bots as Array<{ scopes: string[] }>)[0]!.scopes.push('everywhere');
  const problems = schemaProblems(manifest);
  expect(problems.join('\n')).toMatch(/accentColor/);
  expect(problems.join('\n')).toMatch(/\/bots\/0\/scopes\/2/);
});

test('placeholders must all be filled, with ids that are GUIDs and an https app URL', () => {
  expect(() => fillManifest(template, { ...values, BOT_APP_ID: 'not-a-guid' })).toThrow(/BOT_APP_ID must be/);
  expect(() => fillManifest(template, { ...values, FUNCTION_APP_URL: 'http://x.azurewebsites.net' })).toThrow(/https/);
  expect(() => fillManifest(`${template.slice(0, -2)}, "x": "\${{NOPE}}"}`, values)).toThrow(/NOPE/);
});

test('the icons have the sizes and colours Teams requires', () => {
  expect(iconProblems(readFileSync(join(dir, 'color.png')), readFileSync(join(dir, 'outline.png')))).toEqual([]);
  const coloured = new PNG({ width: 32, height: 32 });
  coloured.data.fill(0);
  coloured.data.set([200, 0, 0, 255], 0);
  expect(iconProblems(readFileSync(join(dir, 'outline.png')), PNG.sync.write(coloured))).toEqual([
    'icons.color must be 192x192 pixels, is 32x32',
    'icons.outline must be white on transparent: 1 visible pixels are not white',
  ]);
});

test('the zip holds the filled manifest and both icons at its root', () => {
  const files = unzipSync(buildTeamsPackage(values).zip);
  expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
  expect(JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8'))).toMatchObject({ bots: [{ botId: values.BOT_APP_ID }] });
});
