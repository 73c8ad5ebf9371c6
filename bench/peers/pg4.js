// PostGraphile 4 with its documented production options (no GraphiQL, no watch, no query log,
// no RBAC-ignoring, legacy relations omitted) on Node's http server; started by bench/run.ts
// under --peers with this folder's Node 22. Env: BENCH_DATABASE_URL, PORT, POOL_MAX.
const { createServer } = require('node:http');
const { registerHooks } = require('node:module');
const { dirname } = require('node:path');
const pg = require('pg');

// npm hoists PostGraphile 4's peer-dependent helpers (graphql-parse-resolve-info,
// subscriptions-transport-ws) beside PostGraphile 5's graphql 16; 4 needs one graphql, its 15.
const v4 = dirname(require.resolve('postgraphile4/package.json'));
const graphql15 = dirname(require.resolve('graphql/package.json', { paths: [v4] }));
registerHooks({
  resolve: (specifier, context, next) =>
    next(/^graphql($|\/)/.test(specifier) ? graphql15 + specifier.slice(7) : specifier, context),
});
const { postgraphile } = require('postgraphile4');

const port = Number(process.env.PORT);
const pool = new pg.Pool({
  connectionString: process.env.BENCH_DATABASE_URL,
  max: Number(process.env.POOL_MAX ?? 10),
});

const middleware = postgraphile(pool, 'public', {
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  retryOnInitFail: false,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: 'omit',
  enableQueryBatching: false,
  extendedErrors: ['errcode'],
});

const server = createServer(middleware);
server.listen(port, '127.0.0.1', () => process.stdout.write('postgraphile 4 ready\n'));
process.on('SIGTERM', () => {
  server.close();
  void middleware
    .release()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
