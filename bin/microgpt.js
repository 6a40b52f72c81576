#!/usr/bin/env node
// Entry point of the installed command: the CLI as scripts/build.mjs compiles and bundles it.
const { main } = require('../dist/src/cli-bundle/main.cjs');

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
