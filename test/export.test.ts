// `microgpt export`: the Hugging Face folder names and shapes every weight as LlamaForCausalLM
// does, its tokenizer.json encodes and decodes as ours under transformers.js, bad input is one
// clear message, and a trained llama model generates the same greedy text under transformers.js'
// text-generation pipeline as `microgpt sample --top-k 1`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env, pipeline } from '@huggingface/transformers';
import { createBpeTokenizer } from '../src/core/bpe/bpe-tokenizer.js';
import { formatModelFile } from '../src/core/bpe/model-file.js';
import type { SplitPatternName } from '../src/core/bpe/split-patterns.js';
import { trainBpe } from '../src/core/bpe/train.js';
import type { Checkpoint } from '../src/core/checkpoint/checkpoint.js';
import { encodeSafetensors } from '../src/core/checkpoint/safetensors.js';
import { type ModelConfig, DEFAULT_TRAIN } from '../src/core/contract/config.js';
import { initParams, paramViews } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { type Tokenizer, buildTokenizer, decode, encode, tokenizerFromBpe } from '../src/core/contract/tokenizer.js';
import { hfConfig, hfTensors, llamaMisfits } from '../src/core/export/hf-model.js';
import { type StartsWith, hfSpecialTokensMap, hfTokenizerConfig, hfTokenizerJson } from '../src/core/export/hf-tokenizer.js';
import { saveCheckpoint } from '../src/cli/checkpoint-files.js';
import { EXPORT_FLAGS } from '../src/cli/export-job.js';
import { assertCleanError } from './cli-helpers.js';

const BIN = fileURLToPath(new URL('../../bin/microgpt.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'microgpt-export-'));
const SHAKESPEARE = readFileSync(new URL('../../data/tinyshakespeare.txt', import.meta.url), 'utf8');
const NAMES = readFileSync(new URL('../../data/names.txt', import.meta.url), 'utf8').split('\n').slice(0, 2000);
// nothing is downloaded: transformers.js reads the folders written here
env.allowRemoteModels = false;
env.localModelPath = tmp;

const LLAMA: ModelConfig = {
  vocabSize: 0, nLayer: 2, nEmbd: 16, nHead: 4, nKvHead: 2, blockSize: 16, initStd: 0.08,
  pos: 'rope', ropeTheta: 10000, activation: 'swiglu', mlpHidden: 24, norm: 'rmsnorm', normWeight: true, finalNorm: true, embedNorm: false,
};

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-semi-space-size=64', BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A checkpoint of freshly initialised weights (no engine needed to export one). */
function checkpointOf(config: ModelConfig, tok: Tokenizer, format: 'lines' | 'text'): Checkpoint {
  const c = { ...config, vocabSize: tok.vocabSize };
  const rng = new PyRandom(42);
  return {
    config: c, train: DEFAULT_TRAIN, vocab: tok.chars, ...(tok.bpe ? { bpeModel: formatModelFile(tok.bpe) } : {}),
    step: 0, seed: 42, weights: initParams(c, rng), rng: rng.getState(), data: { format, valFraction: 0 }, engine: 'tensor',
  };
}

/** The header of a .safetensors file, read by hand as the specification describes it. */
function safetensorsHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
}

/** Writes the tokenizer files of `tok` into tmp/NAME, as export does, for transformers.js to load. */
function tokenizerFolder(name: string, tok: Tokenizer, starts: StartsWith): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(hfTokenizerJson(tok, starts)));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(hfTokenizerConfig(tok, starts, 64)));
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(hfSpecialTokensMap(tok)));
  return name;
}

const SAMPLES = [
  SHAKESPEARE.slice(0, 3000),
  "First Citizen:\n  We are accounted poor citizens, the patricians good.\r\n\tWhat's 12345 + 6789? I'LL say  it's DON'T\n\n\n",
  'naïve café – “quotes” … 日本語のテキスト 😀👍🏽 ſhe\u00a0nbsp',
];

test('config.json and model.safetensors name and shape every weight as LlamaForCausalLM', () => {
  for (const tie of [false, true]) {
    const tok = buildTokenizer(['hello world']);
    const c = checkpointOf({ ...LLAMA, tieEmbeddings: tie }, tok, 'lines');
    const cfg = hfConfig(c.config, tok);
    assert.equal(cfg.model_type, 'llama');
    assert.deepEqual(cfg.architectures, ['LlamaForCausalLM']);
    assert.deepEqual([cfg.hidden_size, cfg.intermediate_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.num_hidden_layers, cfg.head_dim],
      [16, 24, 4, 2, 2, 4]);
    assert.deepEqual([cfg.vocab_size, cfg.max_position_embeddings, cfg.bos_token_id, cfg.eos_token_id, cfg.tie_word_embeddings], [tok.vocabSize, 16, tok.bos, tok.bos, tie]);
    assert.deepEqual([cfg.rms_norm_eps, cfg.rope_theta, cfg.attention_bias, cfg.mlp_bias, cfg.torch_dtype], [1e-5, 10000, false, false, 'float32']);

    const bytes = encodeSafetensors(hfTensors(c.config, c.weights), { format: 'pt' }, 'F32');
    const header = safetensorsHeader(bytes);
    const V = tok.vocabSize;
    const expected: Record<string, number[]> = { 'model.embed_tokens.weight': [V, 16], 'model.norm.weight': [16] };
    if (!tie) expected['lm_head.weight'] = [V, 16];
    for (let i = 0; i < 2; i++) {
      Object.assign(expected, {
        [`model.layers.${i}.input_layernorm.weight`]: [16], [`model.layers.${i}.post_attention_layernorm.weight`]: [16],
        [`model.layers.${i}.self_attn.q_proj.weight`]: [16, 16], [`model.layers.${i}.self_attn.k_proj.weight`]: [8, 16],
        [`model.layers.${i}.self_attn.v_proj.weight`]: [8, 16], [`model.layers.${i}.self_attn.o_proj.weight`]: [16, 16],
        [`model.layers.${i}.mlp.gate_proj.weight`]: [24, 16], [`model.layers.${i}.mlp.up_proj.weight`]: [24, 16],
        [`model.layers.${i}.mlp.down_proj.weight`]: [16, 24],
      });
    }
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.deepEqual(names.slice().sort(), Object.keys(expected).sort(), `tie ${tie}: the tensor names`);
    const ours = paramViews(c.config, c.weights);
    const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)));
    const valueAt = (name: string, i: number) => view.getFloat32(header[name].data_offsets[0] + 4 * i, true);
    for (const name of names) {
      assert.equal(header[name].dtype, 'F32', name);
      assert.deepEqual(header[name].shape, expected[name], name);
      const size = expected[name].reduce((a, b) => a * b, 1);
      assert.equal(header[name].data_offsets[1] - header[name].data_offsets[0], 4 * size, name);
    }
    // the values: float32 roundings of ours; fc1's first H rows are the gate, the next H the up projection
    const fc1 = ours.get('layer1.mlp_fc1')!;
    assert.equal(valueAt('model.layers.1.mlp.gate_proj.weight', 0), Math.fround(fc1[0]));
    assert.equal(valueAt('model.layers.1.mlp.up_proj.weight', 0), Math.fround(fc1[24 * 16]));
    assert.equal(valueAt('model.layers.1.mlp.up_proj.weight', 24 * 16 - 1), Math.fround(fc1[2 * 24 * 16 - 1]));
    assert.equal(valueAt('model.layers.0.self_attn.k_proj.weight', 8 * 16 - 1), Math.fround(ours.get('layer0.attn_wk')![8 * 16 - 1]));
    assert.equal(valueAt('model.embed_tokens.weight', 5), Math.fround(ours.get('wte')![5]));
  }
});

test('only a model with exactly a Llama\'s computation maps to LlamaForCausalLM; every misfit is named', () => {
  assert.deepEqual(llamaMisfits({ ...LLAMA, vocabSize: 5 }), []);
  const reference: ModelConfig = { vocabSize: 5, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 };
  assert.deepEqual(llamaMisfits(reference).map((m) => m.split(' (')[0]),
    ['pos learned', 'norms without gains', 'embed-norm true', 'no final norm', 'activation relu']);
  assert.deepEqual(llamaMisfits({ ...LLAMA, vocabSize: 5, norm: 'layernorm', activation: 'gelu' }).map((m) => m.split(' (')[0]),
    ['norm layernorm', 'activation gelu']);
});

test('tokenizer.json: a character vocabulary encodes and decodes as ours under transformers.js', async () => {
  const texts = [...SAMPLES, 'emma', ' a  b . , ! ?', "don't  'm"];
  const tok = buildTokenizer(texts);
  for (const starts of ['bos', 'text'] as const) {
    const hf = await AutoTokenizer.from_pretrained(tokenizerFolder(`chars-${starts}`, tok, starts));
    for (const text of texts) {
      const ids = encode(tok, text);
      assert.deepEqual(hf.encode(text, { add_special_tokens: false }), ids, `${JSON.stringify(text.slice(0, 40))}: ids`);
      assert.deepEqual(hf.encode(text), starts === 'bos' ? [tok.bos, ...ids] : ids, 'BOS first for a lines model only');
      assert.equal(hf.decode([tok.bos, ...ids, tok.bos], { skip_special_tokens: true }), decode(tok, [tok.bos, ...ids, tok.bos]));
    }
  }
});

test('tokenizer.json: byte-level BPE (GPT-4, GPT-2 and no split pattern, special tokens) encodes and decodes as ours', async () => {
  const corpus = SHAKESPEARE.slice(0, 20000) + SAMPLES.slice(1).join('');
  for (const pattern of ['gpt4', 'gpt2', 'none'] as SplitPatternName[]) {
    const trained = trainBpe(corpus, pattern === 'none' ? 300 : 420, pattern).tokenizer;
    const bpe = createBpeTokenizer(pattern, trained.merges, new Map([['<|endoftext|>', 500], ['<|bos|>', 501]]));
    const tok = tokenizerFromBpe(bpe);
    const hf = await AutoTokenizer.from_pretrained(tokenizerFolder(`bpe-${pattern}`, tok, 'bos'));
    assert.equal(hf.bos_token, '<|bos2|>', 'BOS gets a text no special token has');
    for (const text of [...SAMPLES, `${SAMPLES[1]}<|endoftext|>${SAMPLES[2]}`]) {
      const ids = encode(tok, text);
      assert.deepEqual(hf.encode(text, { add_special_tokens: false }), ids, `${pattern}: ${JSON.stringify(text.slice(0, 40))}`);
      assert.deepEqual(hf.encode(text), [tok.bos, ...ids]);
      assert.equal(hf.decode([tok.bos, ...ids], { skip_special_tokens: true }), decode(tok, ids).replace('<|endoftext|>', ''));
    }
  }
});

test('a BPE vocabulary with two tokens of the same bytes is refused: the format maps each string to one id', () => {
  const [a, b, c] = [97, 98, 99];
  const merges = [{ left: a, right: b, id: 256 }, { left: b, right: c, id: 257 }, { left: 256, right: c, id: 258 }, { left: a, right: 257, id: 259 }];
  const tok = tokenizerFromBpe(createBpeTokenizer('gpt4', merges));
  assert.throws(() => hfTokenizerJson(tok, 'bos'), /BPE tokens 258 and 259 are the same bytes/);
});

test('a BPE token spelt __proto__ is a token like any other', async () => {
  const text = 'x.__proto__ = __proto__;';
  const tok = tokenizerFromBpe(trainBpe(text.repeat(50), 265, 'none').tokenizer);
  assert.ok(tok.bpe!.vocab.some((bytes) => new TextDecoder().decode(bytes) === '__proto__'), 'the tokenizer has the token');
  const hf = await AutoTokenizer.from_pretrained(tokenizerFolder('bpe-proto', tok, 'text'));
  assert.deepEqual(hf.encode(text), encode(tok, text));
});

test('export --help lists every flag with its default', () => {
  const r = cli('export', '--help');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Usage: microgpt export/);
  for (const s of EXPORT_FLAGS) {
    const line = r.out.split('\n').find((l) => l.startsWith(`  --${s.name} `) || l === `  --${s.name}`);
    assert.ok(line, `--help lists --${s.name}`);
    if (s.default !== undefined) assert.ok(line.includes(`(default: ${s.default})`), line);
  }
});

test('export refuses, in one line: a missing --from or --out, an existing folder, a model Llama cannot hold, another version', () => {
  const tok = buildTokenizer(['emma', 'olivia']);
  const reference = join(tmp, 'ckpt-reference');
  saveCheckpoint(reference, checkpointOf({ vocabSize: 0, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 }, tok, 'lines'));
  const llama = join(tmp, 'ckpt-llama');
  saveCheckpoint(llama, checkpointOf(LLAMA, tok, 'lines'));
  assertCleanError(cli('export', '--out', join(tmp, 'x')), /export needs --from DIR/);
  assertCleanError(cli('export', '--from', llama), /export needs --out OUT/);
  assertCleanError(cli('export', '--from', llama, '--out', join(tmp, 'x'), '--format', 'gguf'), /--format must be one of hf, onnx; got 'gguf'/);
  assertCleanError(cli('export', '--from', llama, '--out', reference), /ckpt-reference already exists; export never overwrites/);
  assertCleanError(cli('export', '--from', join(tmp, 'nowhere'), '--out', join(tmp, 'x')), /no checkpoint at .*nowhere/);
  const r = cli('export', '--from', reference, '--out', join(tmp, 'x'));
  assertCleanError(r, /--format hf writes a LlamaForCausalLM, which cannot hold this model's pos learned .*activation relu .*; --format onnx exports any model/);
  const old = join(tmp, 'ckpt-old');
  mkdirSync(old);
  const json = JSON.parse(readFileSync(join(llama, 'checkpoint.json'), 'utf8'));
  writeFileSync(join(old, 'checkpoint.json'), JSON.stringify({ ...json, version: 1 }));
  assertCleanError(cli('export', '--from', old, '--out', join(tmp, 'x')), /checkpoint .*ckpt-old: .*version/);
  assert.ok(!existsSync(join(tmp, 'x')), 'nothing written');
  assert.deepEqual(readdirSync(tmp).filter((n) => n.endsWith('.tmp')), [], 'no temporary folder left');
});


/** Trains a tiny llama-preset model (tensor engine) on `data` and exports it as a Hugging Face folder. */
function trainAndExport(name: string, data: string, format: 'lines' | 'text', extra: string[]): { run: string; out: string } {
  const file = join(tmp, `${name}.txt`);
  writeFileSync(file, data);
  const run = join(tmp, `run-${name}`), out = join(tmp, `hf-${name}`);
  const trained = cli('train', '--preset', 'llama', '--data', file, '--format', format, '--n-embd', '16', '--n-head', '4', '--n-kv-head', '2',
    '--mlp-hidden', '24', '--block-size', '16', '--n-layer', '2', '--steps', '100', '--batch-size', '4', '--warmup-steps', '5',
    '--eval-every', '0', '--val-fraction', '0', '--engine', 'tensor', '--out', run, '--quiet', ...extra);
  assert.equal(trained.code, 0, trained.err);
  const r = cli('export', '--from', run, '--out', out);
  assert.equal(r.code, 0, r.err);
  return { run, out };
}

test('export --format hf writes the whole folder, and transformers.js generates the same greedy text as microgpt sample', async () => {
  const bpe = ['--tokenizer', fileURLToPath(new URL('../../data/tinyshakespeare-512.model', import.meta.url))];
  const lines = SHAKESPEARE.split('\n').filter((l) => l.length > 20).slice(0, 2000).join('\n');
  // [name, data, format, train flags, prompts]; a lines model's sample stops at BOS or the context's end, as
  // generation_config.json says (max_new_tokens null lifts the pipeline's default of 256); a text model's runs
  // for a number of tokens (8 here), within the context
  const models: [string, string, 'lines' | 'text', string[], string[]][] = [
    // the last prompt leaves room for one token: the context's end, not BOS, stops it
    ['chars', NAMES.join('\n'), 'lines', [], ['', 'a', 'mar', 'jo', 'anna', 'mmmmmmmmmmmmmmm']],
    ['bpe-tied', lines, 'lines', [...bpe, '--tie-embeddings'], ['', 'a', 'The king', 'What']],
    ['text-chars', SHAKESPEARE.slice(0, 50000), 'text', [], ['First', 'The king ', 'a']],
    ['text-bpe', SHAKESPEARE.slice(0, 50000), 'text', bpe, ['First', 'The king ']],
  ];
  for (const [name, data, format, extra, prompts] of models) {
    const { run, out } = trainAndExport(name, data, format, extra);
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'onnx', 'special_tokens_map.json',
      'tokenizer.json', 'tokenizer_config.json']);
    assert.deepEqual(readdirSync(join(out, 'onnx')), ['model.onnx']);
    assertCleanError(cli('export', '--from', run, '--out', out), /already exists/);

    const generator = await pipeline('text-generation', `hf-${name}`, { dtype: 'fp32' });
    const texts: string[] = [];
    for (const prompt of prompts) {
      const length = format === 'text' ? ['--max-tokens', '8'] : [];
      const ours = cli('sample', '--from', run, '--top-k', '1', '--samples', '1', '--prompt', prompt, '--engine', 'tensor', ...length);
      assert.equal(ours.code, 0, ours.err);
      const expected = format === 'text' ? ours.out.replace(/\n$/, '') : ours.out.replace(/^sample +1: /, '').replace(/\n$/, '');
      const [theirs] = await generator(prompt, { do_sample: false, max_new_tokens: (format === 'text' ? 8 : null) as number }) as { generated_text: string }[];
      assert.equal(theirs.generated_text, expected, `${name}: prompt ${JSON.stringify(prompt)}`);
      texts.push(expected);
    }
    assert.ok(texts.filter((t, i) => t.length > prompts[i].length).length >= 2, `${name}: the model writes something (${JSON.stringify(texts)})`);
    await generator.dispose();
  }
});

test('export --format onnx writes the graph of any model, with its tokenizer', () => {
  const tok = buildTokenizer(['emma', 'olivia']);
  const ckpt = join(tmp, 'ckpt-onnx');
  saveCheckpoint(ckpt, checkpointOf({ vocabSize: 0, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 }, tok, 'lines'));
  const out = join(tmp, 'onnx-reference');
  const r = cli('export', '--from', ckpt, '--format', 'onnx', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readdirSync(out).sort(), ['model.onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
  assert.ok(readFileSync(join(out, 'model.onnx')).length > 4 * 16 * 16, 'the weights are in the graph');
  const file = join(tmp, 'a-file');
  writeFileSync(file, '');
  assertCleanError(cli('export', '--from', ckpt, '--format', 'onnx', '--out', join(file, 'sub')), /cannot write .*a-file\/sub \(ENOTDIR: not a directory\)\n/);
  assert.deepEqual(readdirSync(tmp).filter((n) => n.endsWith('.tmp')), [], 'no temporary folder left');
});
