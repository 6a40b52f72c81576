#!/usr/bin/env node
// Entry point of the installed command: the CLI as scripts/build.mjs compiles and bundles it.
import { main } from '../dist/src/cli-bundle/main.js';

process.exitCode = await main(process.argv.slice(2));
