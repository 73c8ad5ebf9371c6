// npm's postinstall: installs the Apollo Client example's own dependencies (examples/apollo-client
// is a package of its own: its React peer range differs from the Playground bundle's, so it is
// not a workspace), so `npm install && npm test` is all a fresh clone needs.
// Plain JavaScript: it runs before anything else is known to be installed.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const example = path.join(__dirname, '..', 'examples', 'apollo-client');
// A production install (`npm ci --omit=dev`, the Dockerfile) has no use for the example.
const omitted = (process.env.npm_config_omit ?? '').split(/[\s,]+/);
if (existsSync(path.join(example, 'package-lock.json')) && !omitted.includes('dev')) {
  // `npm ci` at the root stays strict (exactly the example's lockfile); `npm install` stays
  // incremental, and brings the example up to date after a pull.
  const command = process.env.npm_command === 'ci' ? 'ci' : 'install';
  execFileSync('npm', [command, '--no-audit', '--no-fund', '--prefix', example], {
    stdio: 'inherit',
  });
}
