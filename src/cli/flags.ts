// Command-line flags from a declarative table: the same table parses, validates types and
// prints --help, so a flag cannot exist without its default and its description.

import { UserError } from '../core/errors.js';

export type FlagType = 'int' | 'number' | 'string' | 'boolean';

export interface FlagSpec {
  name: string; // kebab case, without the dashes
  type: FlagType;
  help: string;
  default?: number | string | boolean;
  defaultText?: string; // shown in --help when the default depends on something else
  choices?: readonly string[];
  alias?: string; // a second name for the same flag
}

export type FlagValues = Record<string, number | string | boolean | undefined>;

/** Flags that no longer exist, with what replaced them. */
const RETIRED: Record<string, string> = {
  dtype: 'the precision comes with the engine: --engine float32 (WebAssembly SIMD) or --engine tensor (float64)',
};

/** The flag name nearest to a misspelt one, if any is close. */
export function closest(name: string, specs: FlagSpec[]): string | undefined {
  let best: string | undefined, bestScore = Infinity;
  for (const s of specs) {
    const d = editDistance(name, s.name);
    if (d < bestScore) { best = s.name; bestScore = d; }
  }
  return bestScore <= Math.max(2, name.length / 3) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Converts a flag's text to its type; a wrong type is a UserError naming the flag. */
export function convert(spec: FlagSpec, raw: string): number | string | boolean {
  const flag = `--${spec.name}`;
  switch (spec.type) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw new UserError(`${flag} expects an integer, got '${raw}'`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new UserError(`${flag} is out of range: ${raw}`);
      return n;
    }
    case 'number': {
      // decimal notation only: Number() would also read '0x10' as 16 and '0b1' as 1
      const n = Number(raw);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim()) || !Number.isFinite(n)) {
        throw new UserError(`${flag} expects a number, got '${raw}'`);
      }
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UserError(`${flag} expects true or false, got '${raw}'`);
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UserError(`${flag} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      return raw;
  }
}

/** Whether `arg` is one of these flags (`--name` or `--name=value`), so not the value of the flag before it. */
function isFlag(arg: string, byName: Map<string, FlagSpec>): boolean {
  if (!arg.startsWith('--')) return false;
  const eq = arg.indexOf('=');
  return byName.has(arg.slice(2, eq < 0 ? undefined : eq));
}

/** Parses `--name value`, `--name=value` and boolean `--name` (or `--name true|false`); defaults fill the rest. */
export function parseFlags(argv: string[], specs: FlagSpec[]): FlagValues {
  return parseArgs(argv, specs).values;
}

/** Where a repeated flag's note goes: stderr, the run's own output stays clean. */
const warnOnStderr = (message: string) => { process.stderr.write(`microgpt: warning: ${message}\n`); };

/**
 * As parseFlags, and also which flags the user gave (so a preset can fill the others). A flag
 * given twice with different values keeps the last, as most command lines do (an alias plus
 * an override works), but says so through `warn`: a run never changes without a word.
 */
export function parseArgs(argv: string[], specs: FlagSpec[], warn = warnOnStderr): { values: FlagValues; given: Set<string> } {
  const byName = new Map(specs.flatMap((s) => (s.alias ? [[s.name, s], [s.alias, s]] : [[s.name, s]])));
  const values: FlagValues = {};
  const given = new Set<string>();
  for (const s of specs) values[s.name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UserError(`unexpected argument '${arg}' (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      if (Object.hasOwn(RETIRED, name)) throw new UserError(`--${name} is gone: ${RETIRED[name]}`);
      const hint = closest(name, specs);
      throw new UserError(`unknown flag --${name}${hint ? ` (did you mean --${hint}?)` : ''}; see --help`);
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'boolean') raw = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] : 'true';
    else if (i + 1 < argv.length && !isFlag(argv[i + 1], byName)) raw = argv[++i];
    else if (i + 1 < argv.length) {
      // `--out --overwrite` would make a directory named --overwrite and never overwrite
      throw new UserError(`--${name} needs a value, but ${argv[i + 1]} is a flag (to give it as the value, write --${name}=${argv[i + 1]})`);
    } else throw new UserError(`--${name} needs a value`);
    const value = convert(spec, raw);
    if (given.has(spec.name) && values[spec.name] !== value) {
      warn(`--${spec.name} is given twice (${values[spec.name]}, then ${value}); the last one counts`);
    }
    values[spec.name] = value;
    given.add(spec.name);
  }
  return { values, given };
}

/** The help text: usage, then one line per flag with its type and default. */
export function formatHelp(usage: string, specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const arg = (s.type === 'boolean' ? '' : s.choices ? ` ${s.choices.join('|')}` : ` <${s.type}>`) + (s.alias ? `, --${s.alias}` : '');
    const shown = s.defaultText ?? s.default;
    const def = shown === undefined ? '' : ` (default: ${shown})`;
    return [`  --${s.name}${arg}`, `${s.help}${def}`];
  });
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `${usage}\n\nOptions:\n${rows.map(([a, b]) => a.padEnd(width) + b).join('\n')}\n`;
}
