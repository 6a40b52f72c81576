// The `microgpt` command: dispatches to the job and turns a UserError into one line on
// stderr and exit code 2; anything else is a bug and keeps its stack trace.

import { UserError } from '../core/errors.js';
import { mainJob } from './main-job.js';

export async function main(argv: string[]): Promise<number> {
  try {
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
