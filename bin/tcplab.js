#!/usr/bin/env node
/**
 * The `tcplab` command: a CommonJS shim that runs the built CLI
 * (out/main/cli.js, made by `npm run build`) and says so when it is missing.
 */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`tcplab: the CLI is not built yet (no ${cli}): run \`npm run build\` first.\n`);
  process.exit(1);
}
require(cli);
