// Runs the Python reference (microgpt.py) in a temporary directory on the bundled names and
// times it, for the CPython column of the benchmark. Node-only.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PythonRun {
  ms: number;       // wall time of the whole program (start-up and sampling included)
  lines: string[];  // what it printed, the \r-separated step lines split apart
}

/** Why the Python column cannot run, or undefined if it can. */
export function pythonUnavailable(script: string, names: string): string | undefined {
  if (!existsSync(script)) return `${script} not found`;
  if (!existsSync(names)) return `${names} not found`;
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3 not found';
  return undefined;
}

export function runPython(script: string, names: string): PythonRun {
  const dir = mkdtempSync(join(tmpdir(), 'microgpt-bench-'));
  try {
    copyFileSync(names, join(dir, 'input.txt'));
    const start = performance.now();
    const r = spawnSync('python3', [script], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`python3 ${script} failed: ${r.stderr}`);
    return { ms, lines: r.stdout.split(/[\r\n]/).filter((l) => l !== '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
