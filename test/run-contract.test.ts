// The one run contract: the engine registry, the training loop's cadence and stops, gradient
// accumulation, divergence caught the same way on every engine, sampling at its edges, and
// the memory estimates that refuse a run before it is built.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_TRAIN, type ModelConfig } from '../src/core/contract/config.js';
import { ENGINE_NAMES, LOSS_LIMIT } from '../src/core/contract/engine.js';
import { initParams, paramLayout } from '../src/core/contract/params.js';
import { PyRandom } from '../src/core/contract/random.js';
import { drawToken } from '../src/core/contract/sampling.js';
import { parseDocuments } from '../src/core/data/documents.js';
import { DivergenceError, UserError } from '../src/core/errors.js';
import { ENGINES, checkEngineSettings, checkMemory, engineSpec } from '../src/core/run/engines.js';
import { type LoopEvent, trainStep, trainingLoop } from '../src/core/run/loop.js';
import { type RunOptions, createRun, createTextRun } from '../src/core/run/run.js';
import { activationFloatsPerRow, createActivations } from '../src/core/tensor/activations.js';
import { createWasmEngine } from '../src/core/wasm/engine.js';
import { wasmSupport } from '../src/core/wasm/kernels.js';

const root = new URL('../../', import.meta.url);
const names = parseDocuments(readFileSync(new URL('data/names.txt', root), 'utf8'));
const text = readFileSync(new URL('data/tinyshakespeare.txt', root), 'utf8').slice(0, 20000);
const engines = [...ENGINES.keys()].filter((name) => ENGINES.get(name)!.unavailable() === undefined);
const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('the registry: one entry per engine name, looked up by own entries only', () => {
  assert.deepEqual([...ENGINES.keys()], [...ENGINE_NAMES]);
  assert.deepEqual(ENGINE_NAMES, ['scalar', 'tensor', 'float32']);
  for (const name of ENGINE_NAMES) assert.equal(engineSpec(name).name, name);
  for (const bad of ['constructor', '__proto__', 'toString', 'wasm', 'Tensor', '', 7, undefined]) {
    assert.throws(() => engineSpec(bad), userError(/unknown engine .*; the engines are scalar, tensor, float32/), String(bad));
  }
  assert.equal(engineSpec('float32').dtype, 'float32');
  assert.equal(engineSpec('tensor').dtype, 'float64');
  assert.deepEqual(engines.filter((e) => engineSpec(e).takesThreads), engines.includes('float32') ? ['float32'] : []);
});

test('settings and options an engine does not take are errors, not ignored', () => {
  const config: ModelConfig = { vocabSize: 5, nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 4, initStd: 0.1 };
  for (const engine of ['scalar', 'tensor'] as const) {
    assert.throws(() => checkEngineSettings(engineSpec(engine), config, DEFAULT_TRAIN, { threads: 2 }),
      userError(new RegExp(`the ${engine} engine computes on one thread; threads apply to the float32 engine`)));
    assert.throws(() => createRun(['ab'], { engine, threads: 1 }), userError(/computes on one thread/));
  }
  for (const threads of [0, -1, 1.5, 65, Number.NaN]) {
    assert.throws(() => checkEngineSettings(engineSpec('float32'), config, DEFAULT_TRAIN, { threads }), userError(/threads must be an integer from 1 to 64/));
  }
  assert.throws(() => createRun(['ab'], { engine: 'scalar', model: { activation: 'gelu' } }), userError(/activation gelu is not supported by the scalar engine/));
  assert.throws(() => createRun(['ab'], { engine: 'nope' as never }), userError(/unknown engine "nope"/));
});

test('the library trains on the tensor engine unless told otherwise', () => {
  assert.equal(createRun(['ab']).engine.name, 'tensor');
});

// Each token's gradient is weighted 1/tokens of the whole step, so N micro-batches of B
// sequences are one batch of N x B: the same documents (or windows) in the same order, only
// summed in pieces. Measured worst differences over 50 steps (10 for scalar): float64 losses
// 5.7e-16 relative (tensor weights bit for bit, scalar 5.7e-16), float32 losses 3.9e-8
// relative and weights 1.5e-7.
// (4 steps for the scalar engine: it proves the same arithmetic, 50 times slower.)
for (const engine of engines) {
  for (const format of ['lines', 'text'] as const) {
    test(`${engine}, ${format}: grad-accum N x batch B equals batch N x B`, () => {
      const steps = engine === 'scalar' ? 4 : 50;
      const make = (batchSize: number, gradAccum: number) => {
        const options: RunOptions = { engine, model: { blockSize: 16 }, train: { steps, batchSize, gradAccum } };
        return format === 'lines' ? createRun(names, options) : createTextRun(text, options);
      };
      const [lossTol, weightTol] = engine === 'float32' ? [2e-7, 5e-7] : [2e-15, 2e-15];
      const whole = make(4, 1);
      for (const [batchSize, gradAccum] of [[2, 2], [1, 4]]) {
        const accum = make(batchSize, gradAccum), reference = make(4, 1);
        for (let s = 0; s < steps; s++) {
          const a = trainStep(accum), b = trainStep(reference);
          assert.equal(a.tokens, b.tokens, `tokens at step ${s + 1}`);
          assert.ok(Math.abs(a.loss - b.loss) <= lossTol * b.loss, `${batchSize} x ${gradAccum}, step ${s + 1}: loss ${a.loss} vs ${b.loss}`);
        }
        const wa = accum.engine.weights(), wb = reference.engine.weights();
        let worst = 0, at = 0;
        for (let i = 0; i < wa.length; i++) if (Math.abs(wa[i] - wb[i]) > worst) { worst = Math.abs(wa[i] - wb[i]); at = i; }
        assert.ok(worst <= weightTol, `${batchSize} x ${gradAccum}: weight ${at} ${wa[at]} vs ${wb[at]}`);
        accum.engine.close?.();
        reference.engine.close?.();
      }
      whole.engine.close?.();
      // and the accumulation is not a no-op: half the batch alone trains differently
      const half = make(2, 1), full = make(4, 1);
      assert.notEqual(trainStep(half).loss, trainStep(full).loss);
    });
  }
}

test('float32 with 8, 16 and 24 heads trains as the tensor engine does (the stride search once looped forever)', { skip: !wasmSupport().simd && 'no WebAssembly SIMD' }, () => {
  for (const nHead of [8, 16, 24]) {
    const options = { model: { nEmbd: 48, nHead, blockSize: 16 }, train: { steps: 3, batchSize: 2 } };
    const f32 = createRun(names, { ...options, engine: 'float32' }), f64 = createRun(names, { ...options, engine: 'tensor' });
    for (let s = 0; s < 3; s++) {
      const a = trainStep(f32).loss, b = trainStep(f64).loss;
      assert.ok(Math.abs(a - b) < 2e-6 * b, `${nHead} heads, step ${s + 1}: float32 ${a}, tensor ${b}`); // worst measured 5.2e-7
    }
  }
});

/**
 * A run whose model, after BOS, gives the logit of 'a' a lead of `spread` over every other
 * id, so -log p('b') is about `spread` nats. The head first reads the final hidden state x
 * (identity rows), then its row for 'a' is set to spread * x / |x|^2.
 */
function confidentRun(engine: string, spread: number) {
  const run = createRun(['abcdefghijkl'], { engine: engine as never, valFraction: 0, model: { nEmbd: 8, nHead: 2, blockSize: 4 } });
  const bos = run.tokenizer.bos, a = run.tokenizer.ids.get('a')!;
  const w = run.engine.weights(), C = run.config.nEmbd;
  const head = paramLayout(run.config).find((p) => p.name === 'lm_head')!;
  w.fill(0, head.offset, head.offset + head.size);
  for (let c = 0; c < C; c++) w[head.offset + c * C + c] = 1;
  run.engine.load(w);
  const x = Float64Array.from(run.engine.feed([bos], 0).subarray(0, C)); // (C,) the final hidden state
  const norm2 = x.reduce((t, v) => t + v * v, 0);
  w.fill(0, head.offset, head.offset + head.size);
  for (let c = 0; c < C; c++) w[head.offset + a * C + c] = (spread * x[c]) / norm2;
  run.engine.load(w);
  return run;
}

test('-log p is infinite past p\'s underflow on every engine, and finite below it', () => {
  const lossAt = (engine: string, spread: number) => {
    const run = confidentRun(engine, spread);
    const bos = run.tokenizer.bos, b = run.tokenizer.ids.get('b')!;
    const loss = run.engine.lossSum([[bos, b]]); // b after BOS, while the model is sure of 'a'
    run.engine.close?.();
    return loss;
  };
  assert.ok(Math.abs(LOSS_LIMIT - 744.44) < 0.01, `LOSS_LIMIT ${LOSS_LIMIT}`);
  for (const spread of [100, 700]) {
    for (const e of engines) {
      const loss = lossAt(e, spread);
      assert.ok(Math.abs(loss - spread) < 5e-7 * spread, `${e}, a lead of ${spread}: -log p = ${loss}`); // worst measured 7.6e-8 (float32)
    }
  }
  for (const spread of [800, 1e6]) for (const e of engines) assert.equal(lossAt(e, spread), Infinity, `${e}, a lead of ${spread}`);
});

test('divergence stops every engine at the same step, with the last good weights, and the run refuses to go on', () => {
  const steps: number[] = [];
  for (const engine of engines) {
    const run = createRun(names, { engine, train: { learningRate: 1e6, steps: 50 } });
    let before = run.engine.weights(), error: unknown;
    try {
      for (;;) {
        before = run.engine.weights();
        trainStep(run);
      }
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof DivergenceError, `${engine}: ${error}`);
    assert.match(error.message, /^the training loss became (Infinity|NaN) at step \d+ \(learning rate [\d.e+]+\): training diverged and was stopped$/);
    assert.equal(error.step, run.step + 1, 'the step that went wrong is the one after the last good one');
    assert.deepEqual(run.engine.weights(), before, `${engine}: the weights are the last good ones`);
    assert.throws(() => trainStep(run), userError(new RegExp(`the run diverged at step ${error.step}; it cannot train further`)));
    steps.push(error.step);
    run.engine.close?.();
  }
  assert.equal(new Set(steps).size, 1, `the same step on every engine: ${engines.map((e, i) => `${e} ${steps[i]}`).join(', ')}`);
});

test('the loop: validation and saves on their cadence, a stop at stopAt or on request, a saved end', () => {
  const run = createRun(names.slice(0, 200), { valFraction: 0.1, train: { steps: 10 } });
  const seen = (events: LoopEvent[]) => events.filter((e) => e.type !== 'step' && e.type !== 'pause').map((e) => `${e.type}@${e.step}`);
  const collect = (loop: Generator<LoopEvent, unknown>) => {
    const events: LoopEvent[] = [];
    for (let n = loop.next(); !n.done; n = loop.next()) events.push(n.value);
    return events;
  };
  assert.deepEqual(seen(collect(trainingLoop(run, { evalEvery: 4, saveEvery: 3, evalAtStart: true, stopAt: 7 }))),
    ['eval@0', 'save@3', 'eval@4', 'save@6', 'save@7']);
  assert.equal(run.step, 7);
  let calls = 0;
  assert.deepEqual(seen(collect(trainingLoop(run, { evalEvery: 4, shouldStop: () => ++calls > 2 }))), ['eval@8', 'save@9']);
  const last = trainingLoop(run, { evalSize: 5, evalChunk: 2 });
  const events = collect(last);
  assert.deepEqual(events.map((e) => e.type), ['step', 'pause', 'pause', 'eval', 'save'], 'a measurement of 5 in chunks of 2 pauses twice');
  assert.equal(run.step, 10);
  assert.deepEqual(collect(trainingLoop(run)), [], 'a finished run has nothing left to do');
});

test('the loop reports the best validation loss and counts tokens over every micro-batch', () => {
  const run = createRun(names.slice(0, 300), { valFraction: 0.2, train: { steps: 6, batchSize: 3, gradAccum: 2 } });
  const loop = trainingLoop(run, { evalEvery: 2, best: 3.0 });
  let n = loop.next(), tokens = 0;
  const evals: { loss: number; best: boolean }[] = [];
  for (; !n.done; n = loop.next()) {
    if (n.value.type === 'eval') evals.push(n.value);
    if (n.value.type === 'step') tokens += n.value.tokens;
  }
  let best = 3.0;
  for (const e of evals) {
    assert.equal(e.best, e.loss < best, `${e.loss} against ${best}`);
    best = Math.min(best, e.loss);
  }
  assert.equal(n.value.best, best < 3.0 ? best : 3.0);
  assert.equal(n.value.finished, true);
  const docs = run.docs.slice(0, 36).map((d) => Math.min(run.config.blockSize, [...d].length + 1));
  assert.equal(tokens, docs.reduce((a, b) => a + b, 0), '6 steps x 2 micro-batches x 3 documents, each cut to the context');
});

test('sampling at its edges: a temperature so low that l / T overflows takes the most likely id; NaN logits are an error', () => {
  const logits = Float64Array.from([1, 3, 2, 3]);
  const rng = new PyRandom(1), twin = new PyRandom(1);
  assert.equal(drawToken(logits, 1e-310, rng), 1, 'the first of the largest');
  twin.random();
  assert.equal(rng.random(), twin.random(), 'it took one draw, as every token does');
  assert.equal(drawToken(logits, 1e-310, new PyRandom(2), 2), 1);
  assert.equal(drawToken(Float64Array.from([0, Infinity, 5]), 0.5, new PyRandom(3)), 1);
  assert.throws(() => drawToken(Float64Array.from([0, Number.NaN]), 0.5, new PyRandom(4)), userError(/NaN logit: its weights have diverged/));
  // an ordinary temperature keeps the reference's arithmetic: the same draw as before this edge case existed
  const draws = Array.from({ length: 200 }, (_, i) => drawToken(Float64Array.from([0.1 * i, 1, -2, 0.5]), 0.7, new PyRandom(i)));
  assert.ok(draws.every((d) => d >= 0 && d < 4) && new Set(draws).size > 1);
});

test('memory: the tensor estimate counts exactly the buffers it makes', () => {
  for (const config of [
    { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 },
    { vocabSize: 65, nLayer: 3, nEmbd: 48, nHead: 6, blockSize: 33, initStd: 0.08, dropout: 0.1 },
  ] as ModelConfig[]) {
    const acts = createActivations(config, 5);
    const floats = acts.buffers.reduce((n, b) => n + b.length, 0);
    assert.equal(activationFloatsPerRow(config) * 5, floats, JSON.stringify(config));
  }
});

test('memory: a run that cannot fit is refused before anything is built, naming the estimate and the limit', () => {
  const limits = { bytes: 8 * 2 ** 30, heapBytes: 4 * 2 ** 30, where: 'the 8.0 GiB of this test' };
  const wide: ModelConfig = { vocabSize: 65, nLayer: 1, nEmbd: 10000, nHead: 4, blockSize: 64, initStd: 0.02 };
  assert.throws(() => checkMemory(engineSpec('tensor'), wide, DEFAULT_TRAIN, limits),
    userError(/^this model needs about [\d.]+ GiB on the tensor engine, more than the 8\.0 GiB of this test; make it smaller/));
  assert.throws(() => checkMemory(engineSpec('float32'), { ...wide, nEmbd: 20000 }, DEFAULT_TRAIN, { ...limits, bytes: 64 * 2 ** 30 }),
    userError(/more than the 4\.0 GiB a WebAssembly memory can address/));
  assert.throws(() => checkMemory(engineSpec('scalar'), { ...wide, nEmbd: 512 }, DEFAULT_TRAIN, limits),
    userError(/on the scalar engine, more than the JavaScript heap's 4\.0 GiB/));
  const reference: ModelConfig = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16, initStd: 0.08 };
  for (const e of ENGINE_NAMES) checkMemory(engineSpec(e), reference, DEFAULT_TRAIN, limits);
  const started = performance.now();
  assert.throws(() => createRun(['abc'], { model: { nEmbd: 60000, nHead: 4 }, memory: limits }), userError(/this model needs about/));
  assert.throws(() => createRun(['abc'], { train: { batchSize: 1_000_000 }, memory: limits }), userError(/this model needs about/));
  assert.ok(performance.now() - started < 1000, 'refused before any allocation');
});

test('limits: settings beyond any run this project makes are refused by name, before the memory estimate', () => {
  const started = performance.now();
  const refuse = (options: Parameters<typeof createRun>[1], pattern: RegExp) => assert.throws(() => createRun(['abc'], options), userError(pattern));
  refuse({ model: { nLayer: 100_000_000 } }, /^n-layer must be an integer from 1 to 1,024, got 100000000$/);
  refuse({ model: { nEmbd: 100_000, nHead: 4 } }, /^n-embd must be an integer from 1 to 65,536, got 100000$/);
  refuse({ model: { blockSize: 2 ** 21 } }, /^block-size must be an integer from 1 to 1,048,576/);
  refuse({ train: { batchSize: 100_000_000 } }, /^batch-size must be an integer from 1 to 1,048,576, got 100000000$/);
  refuse({ train: { gradAccum: 2 ** 21 } }, /^grad-accum must be an integer from 1 to 1,048,576/);
  refuse({ train: { epsAdam: Infinity } }, /^eps must be > 0/);
  assert.ok(performance.now() - started < 1000, 'refused at once');
});

test('memory: the float32 estimate is the memory the engine lays out, plus the float64 copies that cross into it', { skip: !wasmSupport().simd && 'no WebAssembly SIMD' }, () => {
  for (const [config, gradAccum] of [
    [{ vocabSize: 65, nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 16, initStd: 0.08 }, 2],
    [{ vocabSize: 27, nLayer: 4, nEmbd: 128, nHead: 8, blockSize: 64, initStd: 0.08, dropout: 0.1 }, 1],
  ] as [ModelConfig, number][]) {
    const train = { ...DEFAULT_TRAIN, batchSize: 3, gradAccum };
    const n = paramLayout(config).reduce((k, p) => k + p.size, 0);
    const laidOut = engineSpec('float32').memoryBytes(config, train) - 16 * n;
    const engine = createWasmEngine(config, initParams(config, new PyRandom(1)), train, 1);
    assert.equal(engine.memoryBytes, Math.ceil(laidOut / 65536) * 65536, JSON.stringify(config));
    engine.close();
  }
});
