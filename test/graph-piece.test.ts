// The chain-rule view's MLP neuron for every activation the config allows: its value is the
// page's forward pass's (itself equal to the tensor engine's, test/inspect.test.ts), and the
// grads backward() leaves on its weights and inputs match finite differences of the piece.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTIVATIONS, mlpHidden } from '../src/core/contract/config.js';
import { paramViews } from '../src/core/contract/params.js';
import { encode } from '../src/core/contract/tokenizer.js';
import { trainStep } from '../src/core/run/loop.js';
import { createRun } from '../src/core/run/run.js';
import type { Value } from '../src/core/scalar/value.js';
import { inspectForward } from '../web/src/inspect.js';
import { buildPiece, firstAliveNeuron, neuronFormula } from '../web/src/views/graph-piece.js';

const DOCS = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper'];
const H = 1e-6; // central differences: error ~H^2, far below the tolerance

for (const activation of ACTIVATIONS) {
  test(`the graph's neuron piece follows a ${activation} MLP: the forward's value, grads by finite differences`, () => {
    const run = createRun(DOCS, { seed: 3, model: { nLayer: 2, activation }, train: { steps: 5, learningRate: 0.05 } });
    for (let i = 0; i < 5; i++) trainStep(run); // trained weights, not just the initial draw
    const config = run.config, weights = run.engine.weights();
    const tokens = [run.tokenizer.bos, ...encode(run.tokenizer, 'amelia')], last = tokens.length - 1;
    const insp = inspectForward(config, weights, tokens);
    const labels = tokens.map(String);
    let worst = 0, where = '';
    for (let layer = 0; layer < config.nLayer; layer++) {
      const fc1 = paramViews(config, weights).get(`layer${layer}.mlp_fc1`)!;
      const offset = fc1.byteOffset / 8, n = config.nEmbd;
      for (const neuron of [firstAliveNeuron(insp, config, weights, layer), 7, mlpHidden(config) - 1]) {
        const choice = { kind: 'neuron' as const, layer, head: 0, keyPos: 0, neuron };
        const piece = buildPiece(insp, config, weights, labels, choice);
        assert.equal(piece.top.data, insp.mlpHidden[layer][last][neuron], `layer ${layer} neuron ${neuron}: the forward pass's value`);
        assert.ok(piece.caption.includes(neuronFormula(config)), piece.caption);
        const leaf = (name: string) => [...piece.names].find(([, v]) => v === name)![0] as Value;
        const check = (what: string, grad: number, nudge: (h: number) => number) => {
          const fd = (nudge(H) - nudge(-H)) / (2 * H), diff = Math.abs(fd - grad);
          if (diff > worst) { worst = diff; where = `${what}: grad ${grad}, finite difference ${fd}`; }
        };
        for (let i = 0; i < n; i++) {
          check(`layer ${layer} neuron ${neuron} w${i}`, leaf(`w${i}`).grad, (h) => {
            const w = weights.slice();
            w[offset + neuron * n + i] += h;
            return buildPiece(insp, config, w, labels, choice).top.data;
          });
          if (activation === 'swiglu') continue; // x feeds up too, which the piece holds as a leaf
          check(`layer ${layer} neuron ${neuron} x${i}`, leaf(`x${i}`).grad, (h) => {
            const moved = { ...insp, mlpInputs: insp.mlpInputs.map((rows) => rows.map((row) => row.slice())) };
            moved.mlpInputs[layer][last][i] += h;
            return buildPiece(moved, config, weights, labels, choice).top.data;
          });
        }
        if (activation === 'swiglu') assert.equal(leaf('up').grad, leaf('silu').data, 'd(silu·up)/d up = silu');
      }
    }
    console.log(`# ${activation} neuron piece: worst |grad - finite difference| ${worst.toExponential(1)} (${where})`);
    assert.ok(worst < 1e-9, `worst at ${where}`); // measured 1e-11 to 8e-11
  });
}
