// A path in a command the CLI suggests (`continue with: microgpt train --resume DIR`), written
// so that pasting the line into a POSIX shell gives the path back, spaces and quotes included.

/** `arg` as one shell word: as it is when nothing in it is special to a shell, else in single quotes. */
export function shellWord(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}
