// The `microgpt` command: dispatches to a subcommand (or the reference job when there is
// none) and turns a UserError into one line on stderr and exit code 2; anything else is a
// bug and keeps its stack trace.

import { UserError } from '../core/errors.js';
import { enableRelaxedSimd } from '../node/kernel-thread.js';
import { benchJob } from './bench-job.js';
import { evalJob } from './eval-job.js';
import { mainJob } from './main-job.js';
import { sampleJob } from './sample-job.js';
import { trainJob } from './train-job.js';

// a Map, not an object: `microgpt constructor` must not find Object.prototype.constructor
const COMMANDS = new Map<string, (argv: string[]) => Promise<number>>([
  ['train', trainJob],
  ['sample', sampleJob],
  ['eval', evalJob],
  ['bench', benchJob],
]);

export async function main(argv: string[]): Promise<number> {
  // before anything validates a WebAssembly module: every run of this process, a fresh one or
  // a resumed one, then gets the same (fused multiply-add) build of the float32 kernels
  enableRelaxedSimd();
  // `microgpt sample | head` closes the pipe early: that is the reader's choice, not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    const command = COMMANDS.get(argv[0]);
    if (command) return await command(argv.slice(1));
    if (argv.length > 0 && !argv[0].startsWith('-')) {
      throw new UserError(`unknown command '${argv[0]}' (commands: ${[...COMMANDS.keys()].join(', ')}; see --help)`);
    }
    await mainJob(argv);
    return 0;
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`microgpt: error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
