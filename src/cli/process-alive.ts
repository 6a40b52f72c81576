// Whether a process id still runs on this machine: how a lock or a temporary file left by a
// process that is gone (kill -9, a power cut) is told from one a live process holds.

/** True if process `pid` exists here, whoever owns it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
