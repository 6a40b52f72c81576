// Runs the Python reference (microgpt.py) in a temporary directory on the bundled names and
// times it, for the CPython column of the benchmark. Node-only.

import { spawn, spawnSync } from 'node:child_process';
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

/**
 * Runs the reference to the end (minutes); `onStep` hears of each step it prints, so a long
 * run can show progress (Python is unbuffered here, or a pipe would hold every line back).
 */
export async function runPython(script: string, names: string, onStep?: (step: number, steps: number) => void): Promise<PythonRun> {
  const dir = mkdtempSync(join(tmpdir(), 'microgpt-bench-'));
  try {
    copyFileSync(names, join(dir, 'input.txt'));
    const start = performance.now();
    const child = spawn('python3', [script], { cwd: dir, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const last = String(d).match(/step +(\d+) \/ +(\d+)[^\r\n]*[\r\n]*$/);
      if (last && onStep) onStep(Number(last[1]), Number(last[2]));
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const ms = performance.now() - start;
    if (code !== 0) throw new Error(`python3 ${script} failed: ${err}`);
    return { ms, lines: out.split(/[\r\n]/).filter((l) => l !== '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
