// The live loss chart (uPlot): every step's training loss, a smoothed copy, the held-out loss
// when there is one, and the loss of guessing uniformly among V tokens (ln V), the line a
// model starts near and must get below. Long runs are drawn as bucket means of at most
// MAX_POINTS, so a redraw stays cheap at any step count.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const MAX_POINTS = 1500;
const SMOOTHING = 0.95; // exponential moving average, debiased as TensorBoard does

export class LossChart {
  private plot: uPlot;
  private train: number[] = [];    // loss of step i + 1
  private smooth: number[] = [];
  private val = new Map<number, number>(); // step -> held-out loss
  private ema = 0;
  private dirty = false;
  private baseline = NaN; // ln V

  private el: HTMLElement;

  constructor(el: HTMLElement) {
    this.el = el;
    this.plot = new uPlot({
      width: this.width(), height: 260,
      scales: { x: { time: false } },
      legend: { live: false },
      axes: [{ label: 'step' }, { label: 'loss' }],
      series: [
        { label: 'step' },
        { label: 'training loss', stroke: 'rgba(90, 120, 160, 0.35)', width: 1 },
        { label: 'training (smoothed)', stroke: '#1f5fbf', width: 2 },
        { label: 'validation', stroke: '#c2410c', width: 2, spanGaps: true, points: { show: true, size: 6 } },
        { label: 'guessing', stroke: '#6b7280', width: 1, dash: [6, 4], points: { show: false } },
      ],
    }, [[], [], [], [], []], el);
    new ResizeObserver(() => this.plot.setSize({ width: this.width(), height: 260 })).observe(el);
  }

  private width(): number {
    return Math.max(240, this.el.clientWidth);
  }

  /** The uniform-guess loss for a vocabulary of `vocabSize` tokens, drawn as a dashed line. */
  setBaseline(vocabSize: number): void {
    this.baseline = Math.log(vocabSize);
    // uPlot fixes a series' label when it is made; the legend entry is renamed in place
    const legend = [...this.el.querySelectorAll('.u-legend .u-label')].find((l) => l.textContent?.startsWith('guessing'));
    if (legend) legend.textContent = `guessing: ln ${vocabSize} = ${this.baseline.toFixed(2)}`;
    this.dirty = true;
  }

  clear(): void {
    this.train = [];
    this.smooth = [];
    this.val.clear();
    this.ema = 0;
    this.dirty = true;
  }

  add(losses: number[], val: [number, number][]): void {
    for (const loss of losses) {
      this.train.push(loss);
      this.ema = SMOOTHING * this.ema + (1 - SMOOTHING) * loss;
      this.smooth.push(this.ema / (1 - SMOOTHING ** this.train.length));
    }
    for (const [step, loss] of val) this.val.set(step, loss);
    this.dirty = true;
  }

  /** The smoothed training loss after the latest step (NaN before the first). */
  latest(): number {
    return this.smooth.length > 0 ? this.smooth[this.smooth.length - 1] : NaN;
  }

  /** Redraws if anything changed since the last call (call it once per animation frame). */
  draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.train.length;
    const bucket = Math.max(1, Math.ceil(n / MAX_POINTS));
    const x: number[] = [], tr: (number | null)[] = [], sm: (number | null)[] = [], va: (number | null)[] = [];
    if (this.val.has(0)) { x.push(0); tr.push(null); sm.push(null); va.push(this.val.get(0)!); }
    for (let start = 0; start < n; start += bucket) {
      const end = Math.min(n, start + bucket);
      let sum = 0, v: number | null = null;
      for (let i = start; i < end; i++) {
        sum += this.train[i];
        if (this.val.has(i + 1)) v = this.val.get(i + 1)!;
      }
      x.push(end);
      tr.push(sum / (end - start));
      sm.push(this.smooth[end - 1]);
      va.push(v);
    }
    if (x.length === 0) x.push(0, 1); // the guessing line shows before the first step
    while (tr.length < x.length) { tr.push(null); sm.push(null); va.push(null); }
    this.plot.setData([x, tr, sm, va, x.map(() => this.baseline)] as uPlot.AlignedData);
  }
}
