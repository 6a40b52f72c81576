// The gradient-flow chart (uPlot, log scale): for each weight tensor, either the size of its
// gradient or how far one update moves it relative to its size, over the steps measured. A
// tensor whose line sinks towards zero is not learning; update ratios far above the dashed
// 1e-3 line (a rule of thumb for Adam) thrash, far below crawl. Dead ReLUs are counted below.

import uPlot from 'uplot';
import type { FlowStats } from '../../src/core/run/gradient-flow.js';

export type FlowMeasure = 'update' | 'grad';
const GUIDE = 1e-3; // update/weight ratio around which training tends to go well
const KIND_COLOURS: [RegExp, string][] = [
  [/^(wte|wpe|lm_head|embed_norm|norm_f)$/, '#6b21a8'],
  [/attn_w|attn_norm/, '#1f5fbf'],
  [/mlp_/, '#c2410c'],
];

function colour(name: string, layer: number, layers: number): string {
  const base = KIND_COLOURS.find(([re]) => re.test(name))?.[1] ?? '#374151';
  const alpha = layers > 1 ? 0.45 + 0.55 * (layer / (layers - 1)) : 1; // deeper layers darker
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(base.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(2)})`;
}

export class FlowChart {
  private plot: uPlot | null = null;
  private names: string[] = [];
  private steps: number[] = [];
  private values = new Map<FlowMeasure, (number | null)[][]>(); // measure -> per tensor, per measured step
  private measure: FlowMeasure = 'update';
  private dirty = false;
  private el: HTMLElement;
  private deadEl: HTMLElement;
  private layers = 1;

  constructor(el: HTMLElement, deadEl: HTMLElement) {
    this.el = el;
    this.deadEl = deadEl;
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: 240 })).observe(el);
  }

  private width(): number {
    return Math.max(240, this.el.clientWidth);
  }

  /** Starts over for a model with these tensors (layout order) and layers. */
  reset(names: string[], layers: number): void {
    this.names = names;
    this.layers = layers;
    this.steps = [];
    this.values = new Map([['update', names.map(() => [])], ['grad', names.map(() => [])]]);
    this.deadEl.textContent = '';
    this.build();
  }

  show(measure: FlowMeasure): void {
    this.measure = measure;
    this.build();
  }

  private build(): void {
    this.plot?.destroy();
    const layerOf = (name: string) => Number(/^layer(\d+)\./.exec(name)?.[1] ?? 0);
    const label = this.measure === 'update' ? 'update / weight' : 'gradient norm';
    this.plot = new uPlot({
      width: this.width(), height: 240,
      scales: { x: { time: false }, y: { distr: 3 } },
      legend: { live: false },
      axes: [{ label: 'step' }, { label, values: (_u, splits) => splits.map((v) => (v == null ? '' : v >= 0.01 ? String(v) : v.toExponential(0))) /* null: a log axis with no data yet */ }],
      series: [
        { label: 'step' },
        ...this.names.map((name) => ({ label: name, stroke: colour(name, layerOf(name), this.layers), width: 1.5, spanGaps: true })),
        ...(this.measure === 'update' ? [{ label: 'rule of thumb: 1e-3', stroke: '#6b7280', width: 1, dash: [6, 4] }] : []),
      ],
    }, this.data(), this.el);
  }

  private data(): uPlot.AlignedData {
    const series = this.values.get(this.measure) ?? [];
    const rows: (number | null)[][] = [this.steps, ...series];
    if (this.measure === 'update') rows.push(this.steps.map(() => GUIDE));
    return rows as uPlot.AlignedData;
  }

  /** Adds measurements [step, stats] in step order. */
  add(points: [number, FlowStats][]): void {
    for (const [step, flow] of points) {
      this.steps.push(step);
      flow.tensors.forEach((t, i) => {
        // a log scale has no 0: an exactly-zero value is a gap
        this.values.get('update')![i]?.push(t.update > 0 ? t.update : null);
        this.values.get('grad')![i]?.push(t.grad > 0 ? t.grad : null);
      });
      if (flow.deadUnits) {
        this.deadEl.textContent = `Step ${step}: MLP units that passed no gradient back (dead ReLUs): ` +
          flow.deadUnits.map((d) => `layer ${d.layer + 1}: ${d.dead} of ${d.units}`).join('; ') + '.';
      }
    }
    if (points.length > 0) this.dirty = true;
  }

  /** Redraws if anything changed (once per animation frame). */
  draw(): void {
    if (!this.dirty || !this.plot) return;
    this.dirty = false;
    this.plot.setData(this.data());
    this.el.dataset.points = String(this.steps.length); // what is drawn, for the browser tests
  }
}
