#!/usr/bin/env node
// Entry point of the installed command; the compiled CLI lives in dist/.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
