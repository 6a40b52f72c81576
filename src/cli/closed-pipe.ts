// `microgpt sample | head` closes the pipe early: that is the reader's choice, not an error.
// By default the process ends there, exit 0, as `yes | head` does; a job with work to keep
// (train, whose run would otherwise end unsaved) takes the moment over while it runs.

let onClosed: () => void = () => process.exit(0);

/**
 * Installs the one listener for stdout's errors: a closed pipe goes to the current handler,
 * anything else is thrown. On stderr a closed pipe (`2>&1 | head`) is ignored: there is no one
 * left to tell, and the job, which may be saving its work, goes on to its end.
 */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') onClosed();
    else throw err;
  });
  process.stderr.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** Calls `handler` instead of exiting when stdout's reader goes away, from now on. */
export function whenStdoutCloses(handler: () => void): void {
  onClosed = handler;
}
