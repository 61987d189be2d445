// The gateway's layers and the imports allowed between them (docs/architecture.md, "Layers").
// Run by `npm run check:imports` (part of `npm test`). Paths are relative to the repository root.
const SRC = '^packages/gateway/src/'
const FEATURES =
  '(auth|console|device|roaming|reachability|network-type|sim-swap|device-status-v0|subscriptions|notifications|sandbox|docs|metrics)'
// Route modules: the only feature modules that may speak HTTP (fastify, http/).
const ROUTES = '(routes|[a-z-]+-routes|interactions|legacy)[.]ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment:
        'core/ is the bottom layer: the error catalog, the device model, the clock, auth context.',
      severity: 'error',
      from: { path: `${SRC}core/`, pathNot: '[.]test[.]ts$' },
      to: { path: SRC, pathNot: `${SRC}core/` },
    },
    {
      name: 'specs-only-on-core',
      comment: 'specs/ loads the CAMARA files; it knows nothing of features or adapters.',
      severity: 'error',
      from: { path: `${SRC}specs/`, pathNot: '[.]test[.]ts$' },
      to: { path: SRC, pathNot: `${SRC}(core|specs)/` },
    },
    {
      name: 'network-port-only-on-core',
      comment: 'network/ is the network port: it imports core only (never store/ nor an adapter).',
      severity: 'error',
      from: { path: `${SRC}network/` },
      to: { path: SRC, pathNot: `${SRC}(core|network)/` },
    },
    {
      name: 'store-only-on-core',
      comment: 'store/ is the store port and its Kysely adapter: it imports core only.',
      severity: 'error',
      from: { path: `${SRC}store/` },
      to: { path: SRC, pathNot: `${SRC}(core|store)/` },
    },
    {
      name: 'http-plumbing-below-features',
      comment: 'http/ (correlator, errors, guards, operations) serves features; it imports none.',
      severity: 'error',
      from: { path: `${SRC}http/` },
      to: { path: SRC, pathNot: `${SRC}(core|specs|store|http)/` },
    },
    {
      name: 'simulator-is-an-adapter',
      comment:
        'The simulator implements the network port on the store; it imports no feature and no http/.',
      severity: 'error',
      from: { path: `${SRC}simulator/` },
      to: { path: SRC, pathNot: `${SRC}(core|specs|network|store|simulator)/` },
    },
    {
      name: 'nef-is-an-adapter',
      comment:
        'The NEF adapter implements the network port against a NEF; it imports core, network, store and itself, no feature and no http/ (the ingestion door and the ending of a subscription are handed to it).',
      severity: 'error',
      from: { path: `${SRC}nef/` },
      to: { path: SRC, pathNot: `${SRC}(core|network|store|nef)/` },
    },
    {
      name: 'nef-sim-is-a-network',
      comment:
        'nef-sim (the simulator as a NEF) is a network, not a gateway: it builds on the simulator, the network port, the store, core and http plumbing; never a feature, the gateway or the NEF adapter.',
      severity: 'error',
      from: { path: `${SRC}nef-sim/` },
      to: {
        path: SRC,
        pathNot: `${SRC}(core|specs|network|store|http|simulator|nef-sim)/|${SRC}config[.]ts$`,
      },
    },
    {
      name: 'nothing-imports-nef-sim',
      comment: 'nef-sim is its own process: only its entry (the CLI, index.ts) starts it.',
      severity: 'error',
      from: { path: SRC, pathNot: [`${SRC}nef-sim/`, `${SRC}index[.]ts$`] },
      to: { path: `${SRC}nef-sim/` },
    },
    {
      name: 'features-below-the-app',
      comment:
        'Features import core, specs, ports (network, store), http plumbing and other features; never an adapter or the entry.',
      severity: 'error',
      from: { path: `${SRC}${FEATURES}/` },
      to: { path: `${SRC}(simulator/|nef/|nef-sim/|app[.]ts|gateway[.]ts|main[.]ts|index[.]ts)` },
    },
    {
      name: 'services-do-not-speak-http',
      comment:
        'Only route modules import fastify or http/; services throw CamaraError and return data.',
      severity: 'error',
      from: { path: `${SRC}${FEATURES}/`, pathNot: [ROUTES, `${SRC}(metrics|docs)/`] },
      to: { path: ['^fastify$', 'node_modules/fastify/', 'node_modules/@fastify/', `${SRC}http/`] },
    },
    {
      name: 'delivery-below-subscriptions',
      comment:
        'notifications/ delivers what subscriptions/ decided: subscriptions import notifications, not the other way.',
      severity: 'error',
      from: { path: `${SRC}notifications/` },
      to: { path: `${SRC}subscriptions/` },
    },
    {
      name: 'retrieve-features-independent',
      comment:
        'The retrieve features share device/ (identification); they do not import each other.',
      severity: 'error',
      from: { path: `${SRC}(roaming|reachability|network-type|sim-swap|device-status-v0)/` },
      to: {
        path: `${SRC}(roaming|reachability|network-type|sim-swap|device-status-v0|subscriptions|notifications|auth)/`,
        pathNot: `${SRC}$1/`,
      },
    },
    {
      name: 'no-cycles',
      comment: 'Imports point one way.',
      severity: 'error',
      from: { path: SRC },
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js'],
      conditionNames: ['source', 'import', 'default'],
    },
    moduleSystems: ['es6'],
  },
}
