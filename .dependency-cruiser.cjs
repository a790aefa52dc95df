// The layering rules (ARCHITECTURE.md, "Layering"), checked by `npm run lint` (depcruise src).
// Type-only imports count like any other (tsPreCompilationDeps): a type that crosses a layer is a
// dependency all the same, and a cycle made only of types is still a cycle.
//
// What each part of src/ may import of ours:
//   core      only core; of the packages only pure ones (luxon, libphonenumber-js), of Node's only crypto
//   net       core (addresses, guarded HTTP, trusted proxies sit under everything)
//   media     core, net, and the store's typed disk errors (store/storage-error.ts: a media file is written
//             to the data directory and fails as the database does); never the database
//   gateways  core, net, media: a gateway reports through its GatewaySink, never to a face, the spool,
//             the store, the events or config
//   config    core, net and the drivers' rules (gateways/drivers.ts: each driver's settings schema; no gateway class)
//   store     core and config (the provider rows are the config's): never a face, gateway, the events or spool
//   events    core, net, store: never a face (faces format callbacks for it), a gateway, the spool or config
//   spool     anything but the faces
//   metrics   core, and the shapes of what it is handed (the spool's tally, the store's levels): the
//             wiring hands it its sources, so it never reaches the engine's thread or the database itself
//   api       the faces: anything but a gateway and the database (store/db.ts, better-sqlite3, pg); they are
//             handed stores and services
//   ops       the operator's tools (doctor, reload, systemd, progress) and views (the status page and its
//             JSON): anything but the faces, of which the status page uses the logins (auth, tokens)
//   main.ts, cli.ts, spool-worker.ts  the wiring: anything; nothing imports them, but the CLI starts main
//             and the spool's host starts spool-worker.ts as a thread (by URL, not by import)
const only = (name, why, layer, allowed) => ({
  name,
  comment: why,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...allowed].join('|')})(/|$)` },
});
// What of src/gateways a face or the store may load: the contract, the drivers' rules and their settings schemas.
const DRIVER_CODE = { path: '^src/gateways/', pathNot: '^src/gateways/(gateway|drivers)\\.ts$|^src/gateways/[^/]+/settings\\.ts$|^src/gateways/freeswitch/trunk-dir\\.ts$', reachable: true };
const reaching = (name, why, from) => ({ name, comment: why, severity: 'error', from: { path: from }, to: DRIVER_CODE });
const never = (name, why, from, to) => ({ name, comment: why, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'No import cycle, type-only imports included: a cycle makes two modules one.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves: one the checker cannot follow is one no rule here would see.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    only('core-is-pure', 'The core imports nothing of ours outside src/core.', 'core', []),
    {
      name: 'core-uses-pure-packages',
      comment: 'The core does no I/O: of the packages only luxon, libphonenumber-js and zod (content schemas).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypesNot: ['local', 'core'], pathNot: '(^|/)node_modules/(luxon|@types/luxon|libphonenumber-js|zod)/' },
    },
    {
      name: 'core-uses-only-crypto',
      comment: "The core does no I/O: of Node's modules only crypto (hashing).",
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    only('net-on-core', 'net sits under everything but the core.', 'net', ['core']),
    only('media-on-core-net', "media: core and net, and the store's typed disk errors; never the database.", 'media', ['core', 'net', 'store/storage-error\\.ts']),
    only('gateways-below', 'A gateway reports through its GatewaySink: never a face, the spool, the store, the events or config.', 'gateways', ['core', 'net', 'media']),
    only('config-below', "config: core, net and the drivers' rules (no gateway class).", 'config', ['core', 'net', 'gateways/drivers\\.ts']),
    only('store-below', 'The store: core and config; never a face, a gateway, the events or the spool.', 'store', ['core', 'config']),
    only('events-below', 'The events: core, net, store; never a face, a gateway, the spool or config.', 'events', ['core', 'net', 'store']),
    only('metrics-below', 'metrics: core and the shapes it is handed (spool/tally.ts, store/spool-gauges.ts); the wiring gives it its sources.', 'metrics', ['core', 'spool/tally\\.ts', 'store/spool-gauges\\.ts']),
    never('spool-not-faces', 'The spool never knows a face.', '^src/spool/', '^src/api/'),
    {
      name: 'ops-not-faces',
      comment: "The operator's tools (src/ops) never know a face; the status page logs its admin in as the faces do (their auth, login limits, tokens).",
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/api/', pathNot: '^src/api/(auth|login-limiter|ictcore/token)\\.ts$' },
    },
    never('faces-not-gateways', 'Faces are handed services, never a gateway.', '^src/api/', '^src/gateways/'),
    never('faces-not-database', 'Faces are handed stores, never the database.', '^src/api/', '^src/store/(db|pg/migrate)\\.ts$|(^|/)node_modules/(@types/)?(better-sqlite3|pg)/'),
    // Not only what a module imports but all it loads through others: a face or the store that reached a
    // driver class through the config would load every protocol (the rules above see one step only).
    reaching('faces-reach-no-driver', 'A face loads no gateway, not even through the config or a store.', '^src/api/'),
    reaching('store-reaches-no-driver', 'The store loads no gateway, not even through the config.', '^src/store/'),
    never('nothing-imports-the-cli', 'cli.ts is the command.', '^src/', '^src/cli\\.ts$'),
    never('nothing-imports-the-spool-thread', "spool-worker.ts is a thread's entry, started by URL.", '^src/', '^src/spool-worker\\.ts$'),
    {
      name: 'only-the-cli-imports-main',
      comment: 'main.ts wires everything; only the CLI starts it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/main\\.ts$' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '(^|/)node_modules/' },
    // Packages' "exports" subpaths (nodemailer/lib/mime-node) resolve as Node resolves an ESM import.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
