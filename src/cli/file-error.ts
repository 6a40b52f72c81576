// A file system error in a user's words: its code and reason, without the system call and
// the path (often a temporary one) that Node's message ends with.

/** "ENOSPC: no space left on device" for Node's "ENOSPC: no space left on device, write '/tmp/x.123.tmp'". */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = String(e?.message ?? err).replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '');
  return e?.code ? `${e.code}: ${message}` : message;
}
