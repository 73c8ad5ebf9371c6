// PostGraphile 5 as its docs set it up for production: the amber preset, grafserv on Node's
// http server, no GraphiQL, no watch mode, no explain; started by bench/run.ts under --peers
// with this folder's Node 22. Env: BENCH_DATABASE_URL, PORT, POOL_MAX.
const { createServer } = require('node:http');
const pg = require('pg');
const { postgraphile } = require('postgraphile');
const { makePgService } = require('postgraphile/adaptors/pg');
const { grafserv } = require('postgraphile/grafserv/node');
const { PostGraphileAmberPreset } = require('postgraphile/presets/amber');

const port = Number(process.env.PORT);
const pool = new pg.Pool({
  connectionString: process.env.BENCH_DATABASE_URL,
  max: Number(process.env.POOL_MAX ?? 10),
});

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  // V5 offers orderBy only on indexed columns; W3 orders categories by name (unindexed) as our
  // server does. This changes the schema's shape only, not how a request runs.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { host: '127.0.0.1', port, graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
});
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
serv
  .addTo(server)
  .then(() =>
    server.listen(port, '127.0.0.1', () => process.stdout.write('postgraphile 5 ready\n')),
  )
  .catch((error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
process.on('SIGTERM', () => {
  server.close();
  void pgl
    .release()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
