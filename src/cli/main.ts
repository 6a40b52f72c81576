// The `microgpt` command: dispatches to a subcommand (or the reference job when there is
// none) and turns a UserError into one line on stderr and exit code 2, a kernel thread's trap
// into one line and exit code 1; anything else is a bug and keeps its stack trace. Each job's
// module is imported only when it runs: a process pays for loading what it uses, no more
// (the export job alone pulls in protobufjs; test/startup.test.ts holds the default job to this).

import { KernelThreadError, UserError } from '../core/errors.js';
import { enableRelaxedSimd } from '../node/relaxed-simd.js';
import { watchStdout } from './closed-pipe.js';

type Job = (argv: string[]) => Promise<number>;

// a Map, not an object: `microgpt constructor` must not find Object.prototype.constructor
const COMMANDS = new Map<string, () => Promise<Job>>([
  ['train', async () => (await import('./train-job.js')).trainJob],
  ['sample', async () => (await import('./sample-job.js')).sampleJob],
  ['eval', async () => (await import('./eval-job.js')).evalJob],
  ['bench', async () => (await import('./bench-job.js')).benchJob],
  ['tokenizer', async () => (await import('./tokenizer-job.js')).tokenizerJob],
  ['serve', async () => (await import('./serve-job.js')).serveJob],
  ['export', async () => (await import('./export-job.js')).exportJob],
]);

export async function main(argv: string[]): Promise<number> {
  // before anything validates a WebAssembly module: every run of this process, a fresh one or
  // a resumed one, then gets the same (fused multiply-add) build of the float32 kernels
  enableRelaxedSimd();
  watchStdout();
  try {
    const load = COMMANDS.get(argv[0]);
    if (load) return await (await load())(argv.slice(1));
    if (argv.length > 0 && !argv[0].startsWith('-')) {
      throw new UserError(`unknown command '${argv[0]}' (commands: ${[...COMMANDS.keys()].join(', ')}; see --help)`);
    }
    await (await import('./main-job.js')).mainJob(argv);
    return 0;
  } catch (err) {
    const failure = knownFailure(err);
    if (!failure) throw err;
    // one line, whatever a file name in it holds
    process.stderr.write(`microgpt: error: ${failure.message.replace(/\r?\n|\r/g, (m) => JSON.stringify(m).slice(1, -1))}\n`);
    return failure.code;
  }
}

/** The one line and exit code for an error the CLI explains itself; undefined for a bug to show whole. */
export function knownFailure(err: unknown): { message: string; code: number } | undefined {
  if (err instanceof UserError) return { message: err.message, code: 2 };
  if (err instanceof KernelThreadError) { // a bug, but one already located: its stack would add nothing
    return {
      message: `${err.message}. This is a bug in microgpt's float32 kernels; please report it with the command ` +
        'you ran (--threads 1 runs without kernel threads)',
      code: 1,
    };
  }
  return undefined;
}
