/**
 * The dependency rule, checked by `npm test` (npm run deps). Layers, lowest first:
 *   shared/domain     pure rules and types: no I/O, no SDK
 *   shared/ports      interfaces the use cases need (and Deps, the bag of them)
 *   shared/usecases   read through ports, decide with the domain, act through ports
 *   shared/adapters   ports implemented with Cosmos, ARM, Graph, Teams, files
 *   shared/compositionRoot.ts   builds the adapters once
 *   shells: functions/ (Azure Functions), cli/, dev/ (local host, simulator), deploy/ (packaging,
 *           azd hooks, smoke test), bench/, test/
 *   web/   the portal, bundled for the browser: domain types and pure helpers only
 * An import may only point down or sideways within its layer, and never in a circle.
 */
const SDKS = '^node_modules/(@azure/(?!functions/)|@microsoft/|undici/|@vercel/)';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules in a circle cannot be understood (or tested) one at a time.', from: {}, to: { circular: true } },
    {
      name: 'core-not-to-shells',
      severity: 'error',
      comment: 'shared/ is the core and its adapters: it never knows who calls it (Functions, CLI, local host, benchmarks, tests).',
      from: { path: '^shared/' },
      to: { path: '^(functions|cli|dev|deploy|bench|test)/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Rules and types do no I/O: they may not reach ports, use cases, adapters or an SDK.',
      from: { path: '^shared/domain/' },
      to: { path: ['^shared/(ports|usecases|adapters)/', '^shared/compositionRoot', SDKS] },
    },
    {
      name: 'ports-are-interfaces',
      severity: 'error',
      comment: 'Ports describe what use cases need; they know only the domain.',
      from: { path: '^shared/ports/' },
      to: { path: ['^shared/(usecases|adapters)/', '^shared/compositionRoot', SDKS] },
    },
    {
      name: 'usecases-through-ports',
      severity: 'error',
      comment: 'Use cases reach the world only through ports, so small fakes can stand in for Azure and Cosmos.',
      from: { path: '^shared/usecases/' },
      to: { path: ['^shared/adapters/', '^shared/compositionRoot', SDKS] },
    },
    {
      name: 'adapters-below-usecases',
      severity: 'error',
      comment: 'Adapters implement ports; they do not call use cases (the composition root wires them).',
      from: { path: '^shared/adapters/' },
      to: { path: ['^shared/usecases/', '^shared/compositionRoot'] },
    },
    {
      name: 'cli-is-a-client',
      severity: 'error',
      comment: 'The CLI talks to the API over HTTP: it may share domain types, nothing that runs the app, and no local fixtures.',
      from: { path: '^cli/' },
      to: { path: ['^shared/(ports|usecases|adapters)/', '^shared/compositionRoot', '^(functions|dev|deploy|bench|test)/'] },
    },
    {
      name: 'web-is-a-browser-client',
      severity: 'error',
      comment: 'The portal runs in the browser and talks to the API over HTTP: domain types and pure helpers (and the CLI\'s CSV columns), nothing that runs the app.',
      from: { path: '^web/' },
      to: { path: ['^shared/(ports|usecases|adapters)/', '^shared/(compositionRoot|config)', '^(functions|dev|bench|test)/', '^cli/(main|client|signIn)'], pathNot: '\\.d\\.ts$' },
    },
    {
      name: 'nothing-imports-the-portal',
      severity: 'error',
      comment: 'web/ is built into its own bundle; server code never loads it.',
      from: { pathNot: '^web/' },
      to: { path: '^web/' },
    },
    {
      name: 'functions-ship-alone',
      severity: 'error',
      comment: 'The Functions app is deployed without dev/, bench/, cli/ or test/.',
      from: { path: '^functions/' },
      to: { path: '^(cli|dev|deploy|bench|test)/' },
    },
    {
      name: 'deploy-is-tooling',
      comment: 'Packaging, the azd hooks and the smoke test run beside a deployment: they may read the app (to package it, or its policies), never the local stack or the tests.',
      from: { path: '^deploy/' },
      to: { path: '^(cli|dev|bench|test)/' },
    },
    {
      name: 'only-tools-use-deploy',
      comment: 'Nothing the app or the CLI runs depends on deployment tooling.',
      from: { path: '^(functions|shared|cli|dev|web)/' },
      to: { path: '^deploy/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
