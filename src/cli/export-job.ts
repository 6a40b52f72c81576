// `microgpt export`: a checkpoint as files other tools load, a Hugging Face model folder (a
// LlamaForCausalLM, with an ONNX graph for transformers.js) or an ONNX graph of any model. The
// folder appears whole or not at all, and an existing one is never overwritten.

import { type Stats, lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeSafetensors } from '../core/checkpoint/safetensors.js';
import { paramCount } from '../core/contract/params.js';
import { hfConfig, hfGenerationConfig, hfTensors, llamaMisfits } from '../core/export/hf-model.js';
import { type StartsWith, hfSpecialTokensMap, hfTokenizerConfig, hfTokenizerJson } from '../core/export/hf-tokenizer.js';
import { UserError } from '../core/errors.js';
import { checkpointTokenizer } from '../core/run/run.js';
import { writeDirectoryAtomic } from './atomic.js';
import { loadCheckpoint } from './checkpoint-files.js';
import { fileErrorReason } from './file-error.js';
import { type FlagSpec, formatHelp, parseArgs } from './flags.js';
import { encodeOnnx } from './onnx-file.js';

export const EXPORT_FLAGS: FlagSpec[] = [
  { name: 'from', type: 'string', help: 'checkpoint directory (required)' },
  { name: 'format', type: 'string', help: 'hf: a Hugging Face Llama folder (weights, config, tokenizer, ONNX graph); onnx: the ONNX graph of any model', default: 'hf', choices: ['hf', 'onnx'] },
  { name: 'out', type: 'string', help: 'the folder to create (required; it must not exist)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = `Usage: microgpt export --from DIR --out OUT [--format hf|onnx]

Writes a checkpoint as a folder other tools load. hf: a Hugging Face LlamaForCausalLM
(config.json, model.safetensors in float32, generation_config.json, tokenizer.json and
its config, onnx/model.onnx for transformers.js); only a model with exactly Llama's
computation fits (the llama preset: --pos rope --norm-weight --embed-norm false
--final-norm --activation swiglu). onnx: model.onnx (float32, with a KV cache, the inputs
and outputs of Hugging Face Optimum's decoders) of any model, with the tokenizer files.`;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function exportJob(argv: string[]): Promise<number> {
  const { values: v } = parseArgs(argv, EXPORT_FLAGS);
  if (v.help) {
    process.stdout.write(formatHelp(USAGE, EXPORT_FLAGS));
    return 0;
  }
  if (v.from === undefined) throw new UserError('export needs --from DIR, a checkpoint directory');
  if (v.out === undefined) throw new UserError('export needs --out OUT, the folder to create');
  if (v.out === '') throw new UserError('--out needs a name: the folder to create'); // resolve('') is the current folder
  const out = resolve(v.out as string), format = v.format as 'hf' | 'onnx';
  const taken = lstatOrUndefined(out); // a dangling link too: it is the user's
  if (taken) {
    throw new UserError(`${v.out} already exists${taken.isSymbolicLink() ? ' (a symbolic link)' : ''}; export never overwrites: choose another --out or remove it`);
  }
  const c = loadCheckpoint(v.from as string);
  if (format === 'hf') {
    const misfits = llamaMisfits(c.config);
    if (misfits.length > 0) {
      throw new UserError(`--format hf writes a LlamaForCausalLM, which cannot hold this model's ${misfits.join(', ')}; ` +
        '--format onnx exports any model');
    }
  }
  const tok = checkpointTokenizer(c);
  const starts: StartsWith = c.data.format === 'lines' ? 'bos' : 'text';
  const files = new Map<string, string | Uint8Array>();
  if (format === 'hf') {
    files.set('config.json', json(hfConfig(c.config, tok)));
    files.set('generation_config.json', json(hfGenerationConfig(c.config, tok)));
    files.set('model.safetensors', encodeSafetensors(hfTensors(c.config, c.weights), { format: 'pt' }, 'F32'));
  }
  files.set('tokenizer.json', json(hfTokenizerJson(tok, starts)));
  files.set('tokenizer_config.json', json(hfTokenizerConfig(tok, starts, c.config.blockSize)));
  files.set('special_tokens_map.json', json(hfSpecialTokensMap(tok)));
  files.set(format === 'hf' ? 'onnx/model.onnx' : 'model.onnx', encodeOnnx(c.config, c.weights));
  try {
    writeDirectoryAtomic(out, files);
  } catch (err) {
    throw new UserError(`cannot write ${v.out} (${fileErrorReason(err)})`);
  }
  process.stdout.write(`exported step ${c.step} of ${v.from} (${paramCount(c.config).toLocaleString('en-US')} parameters) ` +
    `as ${format === 'hf' ? 'a Hugging Face Llama' : 'ONNX'} to ${v.out}: ${[...files.keys()].join(', ')}\n`);
  if (format === 'hf' && starts === 'text') {
    process.stderr.write(`note: a text model's samples slide past its ${c.config.blockSize}-token context; Hugging Face's generate stops there\n`);
  }
  return 0;
}

/** The entry at `path` itself (a link, not its target), or undefined where there is none; a file on the way (ENOTDIR) is the write's to report. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
