// The playground in a real browser: builds the site, serves web/dist from a tiny static
// server and drives Debian's Chromium through playwright-core. Covers training (with the
// main thread's longest task), the reference run's 20 names, sampling, every inspection
// view, saving and loading a checkpoint, a pasted dataset and a phone-sized screen.
// Screenshots go to test-artifacts/; with UPDATE_SCREENSHOTS=1, one per view also replaces
// the README's copy in docs/screenshots/ (off by default so a test run leaves git clean).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { paramLayout } from '../../src/core/contract/params.js';
import { SPANS } from '../../web/src/tour-outline.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // dist/test/e2e -> the repo
const SITE = join(ROOT, 'web/dist');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SCREENSHOTS = join(ROOT, 'docs/screenshots');
const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';
const CLI_NAMES = ['kamon', 'ann', 'karai', 'jaire', 'vialan', 'karia', 'yeran', 'anna', 'areli', 'kaina',
  'konna', 'keylen', 'liole', 'alerin', 'earan', 'lenne', 'kana', 'lara', 'alela', 'anton'];

// The slice of Playwright this file uses. Its own type declarations need the DOM library,
// which the Node build does not load, so the module is imported untyped.
interface Locator {
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  check(): Promise<void>;
  uncheck(): Promise<void>;
  selectOption(value: string): Promise<unknown>;
  setInputFiles(files: string[]): Promise<void>;
  textContent(): Promise<string | null>;
  allTextContents(): Promise<string[]>;
  isDisabled(): Promise<boolean>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  first(): Locator;
  last(): Locator;
  locator(selector: string): Locator;
  screenshot(options: { path: string }): Promise<unknown>;
  waitFor(options?: { state?: string; timeout?: number }): Promise<void>;
  scrollIntoViewIfNeeded(): Promise<void>;
  focus(): Promise<void>;
}
interface Download { saveAs(path: string): Promise<void>; suggestedFilename(): string }
interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  on(event: string, listener: (arg: any) => void): void;
  evaluate<T>(expression: string): Promise<T>;
  evaluate<A>(fn: (arg: A) => void, arg: A): Promise<void>;
  waitForFunction(expression: string, arg?: unknown, options?: { timeout?: number; polling?: number }): Promise<unknown>;
  waitForEvent(event: 'download'): Promise<Download>;
  waitForTimeout(ms: number): Promise<void>;
  addInitScript(script: { content: string }): Promise<void>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  keyboard: { press(key: string): Promise<void> };
  context(): { grantPermissions(permissions: string[]): Promise<void> };
}
interface Browser {
  newPage(options: object): Promise<Page>;
  close(): Promise<void>;
  startTracing(page: Page, options: { categories: string[] }): Promise<void>;
  stopTracing(): Promise<Uint8Array>;
}

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }

/** The page's main-thread tasks in a Chromium trace: wall-clock and CPU milliseconds, longest first. */
function mainThreadTasks(trace: Uint8Array): { wall: number; cpu: number }[] {
  const parsed = JSON.parse(Buffer.from(trace).toString('utf8'));
  const events: TraceEvent[] = parsed.traceEvents ?? parsed;
  const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  return events
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 }))
    .sort((a, b) => b.wall - a.wall);
}

// A developer without Chromium skips the browser tests with a note; CI (CI=true, set by .ci/run)
// installs it, so there a missing browser is a failure rather than a quietly skipped suite.
const missing = existsSync(CHROMIUM) ? undefined
  : `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the playground tests`;
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing} (CI=true requires them)`);
const skip = missing ?? false;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
};

// as the Vite dev and preview servers send them: shared memory, so kernel threads
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

function serve(dir: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...ISOLATION }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Records the duration of every long task (over 50 ms) on the page's main thread.
const PROBE = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
`;

describe('the playground in a browser', { skip }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  const problems: string[] = []; // console errors, page errors, failed requests
  let defaultEngine = '';

  const shot = async (name: string, target: Locator | Page, docs = true) => {
    const path = join(ARTIFACTS, `${name}.png`);
    await target.screenshot({ path, ...(target === page ? { fullPage: true } : {}) });
    if (docs && UPDATE_DOCS) copyFileSync(path, join(SCREENSHOTS, `${name}.png`));
  };
  const text = async (selector: string) => (await page.locator(selector).textContent()) ?? '';
  const buttonText = (label: string) => `document.querySelector('#train-button').textContent === ${JSON.stringify(label)}`;

  /** Waits for the run to be created (after a settings change or a reset). */
  async function ready(): Promise<void> {
    await page.waitForFunction(`${buttonText('Start training')} && !document.querySelector('#train-button').disabled`, null, { timeout: 30_000 });
  }

  /** Starts over from the form, as the Reset button does after a run. */
  async function reset(): Promise<void> {
    await page.locator('#reset-button').click();
    await ready();
  }

  async function setField(id: string, value: string): Promise<void> {
    await page.locator(`#${id}`).fill(value);
    await page.waitForTimeout(350); // the form re-creates the run after a short pause
    await ready();
  }

  /** Trains to the end and returns the 20 samples the page draws after training. */
  async function trainToEnd(timeout = 90_000): Promise<string[]> {
    await page.locator('#train-button').click();
    await page.waitForFunction(buttonText('Finished'), null, { timeout });
    await page.waitForFunction(`document.querySelector('#samples .sample-group')?.classList.contains('complete')`, null, { timeout: 20_000 });
    return page.locator('#samples .sample-group').first().locator('li').allTextContents();
  }

  /** Scrolls a Look-inside view into view (it draws only there) and waits for its drawing of `key`. */
  async function drawn(view: string, key: string): Promise<void> {
    await page.locator(`#view-${view}`).scrollIntoViewIfNeeded();
    await page.waitForFunction(`document.getElementById(${JSON.stringify(view)}).dataset.rendered === ${JSON.stringify(key)}`, null, { timeout: 10_000 });
  }

  async function generate(count: number): Promise<string[]> {
    await page.locator('#sample-count').fill(String(count));
    const before = await page.locator('#samples .sample-group').count();
    await page.locator('#generate-button').click();
    await page.waitForFunction(`document.querySelectorAll('#samples .sample-group.complete').length > ${before}`, null, { timeout: 20_000 });
    return page.locator('#samples .sample-group').first().locator('li').allTextContents();
  }

  before(async () => {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `vite build web failed:\n${build.stdout}\n${build.stderr}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await serve(SITE);
    const pw = 'playwright-core';
    const { chromium } = await import(pw);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
    await page.addInitScript({ content: PROBE });
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  test('the built site holds one copy of the WebAssembly kernels, in the worker\'s bundle', () => {
    const assets = join(SITE, 'assets');
    const withWasm = readdirSync(assets).filter((f) => f.endsWith('.js') && readFileSync(join(assets, f), 'latin1').includes('AGFzbQ')); // base64 of "\0asm"
    assert.equal(withWasm.length, 1, `bundles embedding the kernels: ${withWasm}`);
    assert.match(withWasm[0], /^worker-/);
  });

  test('the page loads with the reference settings', async () => {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await ready();
    const defaults: Record<string, string> = {
      'n-layer': '1', 'n-embd': '16', 'n-head': '4', 'block-size': '16', steps: '1000', lr: '0.01', beta1: '0.85', beta2: '0.99', seed: '42', 'batch-size': '1',
    };
    for (const [id, value] of Object.entries(defaults)) {
      assert.equal(await page.evaluate(`document.getElementById(${JSON.stringify(id)}).value`), value, `#${id}`);
    }
    const engines = await page.evaluate<string[]>(`[...document.querySelectorAll('#engine option')].map((o) => o.value)`);
    assert.ok(engines.includes('scalar'), `engines offered: ${engines}`);
    assert.ok(engines.includes('float32'), `Chromium runs WebAssembly SIMD, so the float32 engine is offered: ${engines}`);
    defaultEngine = await page.evaluate<string>('document.getElementById("engine").value');
    assert.equal(defaultEngine, engines.includes('tensor') ? 'tensor' : 'scalar');
    assert.equal(await page.evaluate('document.getElementById("validation").checked'), false, 'no held-out data by default, as the CLI');
    assert.match(await text('#data-summary'), /32,033 documents, 26 characters/);
    assert.match(await text('#stat-params'), /4,192/);
    assert.match(await text('#chart .u-legend'), /guessing: ln 27 = 3\.30/, 'the loss chart shows what guessing scores');
    // the first screen leads with what to do: the Start button is in view on a laptop screen
    await page.setViewportSize({ width: 1280, height: 800 });
    const start = await page.evaluate<{ top: number; bottom: number }>(`(() => { const r = document.getElementById('train-button').getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; })()`);
    assert.ok(start.bottom < 800, `Start is in view without scrolling (bottom at ${start.bottom}px of 800)`);
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  test('training makes the loss fall, shows samples and keeps the page responsive', { timeout: 120_000 }, async () => {
    await page.locator('#engine').selectOption('scalar'); // the slow one: long enough to pause
    await page.locator('#validation').check();
    await setField('steps', '300');
    await page.evaluate('window.__longTasks = []');
    await browser.startTracing(page, { categories: ['toplevel'] });
    await page.locator('#train-button').click();
    await page.waitForFunction(`parseInt(document.querySelector('#stat-step').textContent) >= 1`, null, { timeout: 30_000 });
    const early = Number(await text('#stat-loss'));
    await page.waitForFunction(`parseInt(document.querySelector('#stat-step').textContent) >= 60`, null, { timeout: 30_000 });

    // pause: the step stops moving; resume: it moves on
    await page.locator('#train-button').click();
    await page.waitForFunction(buttonText('Resume'), null, { timeout: 5_000 });
    const pausedAt = await text('#stat-step');
    await page.waitForTimeout(300);
    assert.equal(await text('#stat-step'), pausedAt, 'no steps while paused');
    await page.locator('#train-button').click();
    await page.waitForFunction(buttonText('Finished'), null, { timeout: 60_000 });

    // The longest main-thread task, in CPU time and in wall-clock time (the long-task API and the
    // trace agree on the latter). The CPU time is our code's share and is held to the 50 ms
    // budget. Wall-clock time also counts whatever the OS ran instead of the page, and on a shared
    // 2-core machine it has gone over 50 ms at a load below 1 with the page idle, so it is reported,
    // not asserted: a timed assertion there fails on the machine, not on the code.
    const tasks = mainThreadTasks(await browser.stopTracing());
    const longTasks = await page.evaluate<number[]>('window.__longTasks');
    const wall = Math.max(0, ...longTasks, ...tasks.map((t) => t.wall));
    const cpu = Math.max(0, ...tasks.map((t) => t.cpu));
    console.log(`# main thread while training: ${tasks.length} tasks, longest ${wall.toFixed(0)} ms wall-clock, ${cpu.toFixed(0)} ms CPU (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
    assert.ok(tasks.length > 100, 'the trace saw the main thread');
    assert.ok(cpu < 50, `a main-thread task ran for ${cpu.toFixed(0)} ms of CPU time during training`);

    const late = Number(await text('#stat-loss'));
    assert.ok(late < early - 0.3, `the smoothed loss went from ${early} to ${late}`);
    assert.ok(Number(await text('#stat-val')) < 3.1, `validation loss ${await text('#stat-val')}`);
    assert.ok(Number(await text('#stat-steps')) > 0, 'steps/s shown');
    assert.ok(Number((await text('#stat-tokens')).replace(/,/g, '')) > 0, 'tokens/s shown');
    const preview = await page.locator('#preview li').allTextContents();
    assert.equal(preview.length, 8, 'preview samples appear while training');
    await page.waitForFunction(`document.querySelector('#samples .sample-group')?.classList.contains('complete')`);
    assert.equal(await page.locator('#samples .sample-group').first().locator('li').count(), 20);
    await shot('progress', page.locator('#progress'));
    await shot('train', page.locator('#train'), false);
  });

  test('gradient flow: update/weight and gradient norm per tensor over the run, and dead ReLUs counted', async () => {
    // the run above trained 300 steps; the flow is measured every 300/200 -> 2 steps from the first
    await page.locator('#flow summary').click();
    await page.waitForFunction(`Number(document.querySelector('#flow-chart').dataset.points) >= 150`, null, { timeout: 5_000 });
    const legend = () => page.locator('#flow-chart .u-legend .u-label').allTextContents();
    const tensors = ['wte', 'wpe', 'lm_head', 'layer0.attn_wq', 'layer0.attn_wk', 'layer0.attn_wv', 'layer0.attn_wo', 'layer0.mlp_fc1', 'layer0.mlp_fc2'];
    assert.deepEqual(await legend(), [...tensors, 'rule of thumb: 1e-3']);
    assert.match(await text('#flow-dead'), /^Step 300: MLP units that passed no gradient back \(dead ReLUs\): layer 1: \d+ of 64\.$/);
    await page.locator('#flow-measure').selectOption('grad');
    assert.deepEqual(await legend(), tensors, 'the gradient norms have no rule-of-thumb line');
    assert.ok(await page.evaluate<boolean>(`Number(document.querySelector('#flow-chart').dataset.points) >= 150`), 'switching keeps the measurements');
    await page.locator('#flow-measure').selectOption('update');
    await shot('gradient-flow', page.locator('#flow'));
    await page.locator('#flow summary').click();
  });

  test('the reference settings reproduce the command line\'s 20 names, on every engine', { timeout: 150_000 }, async () => {
    await reset();
    await page.locator('#validation').click(); // off again: every document trains, as in the CLI
    await setField('steps', '1000');
    // the scalar engine, the page's default if that is another one, and the float32 WebAssembly
    // engine, whose float32 rounding (losses within 3e-7) changes no draw on this run
    for (const engine of [...new Set(['scalar', defaultEngine, 'float32'])]) {
      await page.locator('#engine').selectOption(engine);
      await reset();
      const started = Date.now();
      const names = await trainToEnd(120_000);
      console.log(`# ${engine} engine: 1000 steps and 20 samples in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.deepEqual(names, CLI_NAMES, `${engine} engine`);
    }
    await shot('sample', page.locator('#sample'));
  });

  test('sampling: temperature, top-k, a prompt, and an unknown character', async () => {
    await page.locator('#prompt').fill('Z');
    assert.match(await text('#prompt-error'), /"Z".*not in the model's vocabulary/);
    assert.equal(await page.locator('#generate-button').isDisabled(), true);
    await page.locator('#prompt').fill('ka');
    assert.equal(await text('#prompt-error'), '');
    const prompted = await generate(5);
    assert.equal(prompted.length, 5);
    for (const s of prompted) assert.ok(s.startsWith('ka'), `"${s}" starts with the prompt`);

    await page.evaluate(`(() => { const k = document.getElementById('top-k'); k.value = '1'; k.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    assert.equal(await text('#top-k-value'), '1');
    const greedy = await generate(3);
    assert.equal(new Set(greedy).size, 1, `top-k 1 always takes the likeliest character: ${greedy}`);
    await page.evaluate(`(() => { const k = document.getElementById('top-k'); k.value = '0'; k.dispatchEvent(new Event('input', { bubbles: true })); })()`);

    // the distribution the next draw comes from, reshaped live by temperature and top-k
    const slide = (id: string, value: string) => page.evaluate(`(() => { const el = document.getElementById('${id}'); el.value = '${value}'; el.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    const topBar = async () => {
      await page.waitForTimeout(100); // one animation frame and a little
      return { count: await page.locator('#next-token .bar').count(), top: Number((await page.locator('#next-token .bar-value').first().textContent())!.replace('%', '')) };
    };
    await page.locator('#prompt').fill('ka');
    await page.waitForFunction(`/After “ka”/.test(document.querySelector('#next-token').textContent)`, null, { timeout: 5_000 });
    await slide('temperature', '1');
    const warm = await topBar();
    await slide('temperature', '0.2');
    const cold = await topBar();
    assert.ok(cold.top > warm.top, `a lower temperature sharpens the distribution: top ${warm.top}% -> ${cold.top}%`);
    assert.ok(warm.count === 10, 'the ten likeliest are shown');
    await slide('top-k', '3');
    assert.equal((await topBar()).count, 3, 'top-k 3 keeps three');
    await slide('top-k', '0');
    await slide('temperature', '0.5');
    await page.locator('#prompt').fill('');
  });

  test('every inspection view draws for a typed word', async () => {
    await page.locator('#word').fill('kara');
    for (const view of ['probs', 'attention', 'graph']) await drawn(view, '1000:kara');
    await drawn('embedding', '1000');
    assert.match(await text('#inspect-step'), /step 1000/);
    assert.equal(await page.locator('#probs .prob-card').count(), 5, 'BOS and 4 characters: 5 predictions');
    const firstCard = await page.locator('#probs .prob-card').first().textContent() ?? '';
    assert.match(firstCard, /after\s*BOS/);
    assert.equal(await page.locator('#probs .bar.target').count(), 5, 'the actual next character is marked at every position');
    assert.equal(await page.locator('#attention svg.heatmap').count(), 4, 'one heatmap per head');
    assert.equal(await page.locator('#embedding .point').count(), 27, 'one point per token');
    assert.equal(await page.locator('#graph .node').count(), 16, 'q and k (4 each), 4 products, 3 sums, the scale');
    const topGrad = await page.evaluate<string>(`[...document.querySelectorAll('#graph .node-grad')].pop().textContent`);
    assert.equal(topGrad, '1.0000', 'backward() starts with grad 1 at the top');
    for (const view of ['probs', 'attention', 'graph']) await drawn(view, '1000:kara'); // still, after scrolling
    // values behind the shapes without hover: a tap or click shows them under the view
    await page.locator('#attention svg.heatmap rect[data-readout]').first().click();
    assert.match(await text('#view-attention .readout'), /^BOS \(position 0\) → BOS \(position 0\): 1\.000$/);
    await page.locator('#graph .node[data-readout]').first().click();
    assert.match(await text('#view-graph .readout'), /: data -?\d/, 'a node\'s data and grad show when tapped');
    await shot('probabilities', page.locator('#view-probs'));
    await shot('attention', page.locator('#view-attention'));
    await shot('embedding', page.locator('#view-embedding'));
    await shot('graph', page.locator('#view-graph'));

    await page.locator('#piece').selectOption('neuron');
    await page.waitForFunction(`document.querySelectorAll('#graph .node').length === 64`, null, { timeout: 5_000 }); // 16 w, 16 x, 16 products, 15 sums, relu
    // the neuron shown first is alive: relu passes a gradient, so the leaves' grads are not all 0
    assert.doesNotMatch(await text('#graph'), /Its input is negative/, 'the default neuron is alive');
    const grads = await page.evaluate<string[]>(`[...document.querySelectorAll('#graph .node-grad')].map((g) => g.textContent)`);
    assert.ok(grads.some((g) => Number(g) !== 0 && g !== '1.0000'), `some leaf has a gradient: ${grads.slice(0, 8)}`);
    await shot('graph-neuron', page.locator('#view-graph'), false);

    await page.locator('#word').fill('kaRa');
    assert.match(await text('#word-error'), /"R".*not in the model's vocabulary/);
    await page.locator('#word').fill('abcdefghijklmnopq');
    assert.match(await text('#word-error'), /at most 15 characters/);
    await page.locator('#word').fill('anna');
    assert.equal(await text('#word-error'), '');
    await page.locator('#piece').selectOption('score');
    await shot('playground', page, false);
  });

  /** Opens the tour at a chapter through its step button and waits for its live numbers. */
  async function chapter(id: string, step: string): Promise<void> {
    const i = Object.keys(SPANS).indexOf(id);
    await page.locator(`#tour-steps [data-step="${i}"]`).click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === ${JSON.stringify(`${id}:${step}`)}`, null, { timeout: 5_000 });
  }
  const tourOpen = () => page.evaluate<boolean>(`document.getElementById('tour').open`);
  const current = () => page.evaluate<string>(`document.getElementById('tour').dataset.current`);
  /** The Adam chapter's numbers: the run's moments (m0, v0), after this word's gradient (m, v), the direction and the step. */
  const adamNumbers = async () => Object.fromEntries(await Promise.all(['m0', 'v0', 'm', 'v', 'direction', 'step']
    .map(async (k) => [k, await dataValue(`.tour-adam-${k}`)] as const))) as Record<'m0' | 'v0' | 'm' | 'v' | 'direction' | 'step', number>;
  const dataValue = async (selector: string) => Number(await page.evaluate<string>(`document.querySelector(${JSON.stringify(`#tour-live ${selector}`)}).dataset.value`));
  /** The body rows of a table in the tour's live numbers: [row header, cells...]. */
  const rows = (table: string) => page.evaluate<string[][]>(`[...document.querySelectorAll('#tour-live table.${table} tbody tr')].map((r) => [...r.children].map((c) => c.textContent))`);

  test('the tour: every chapter shows the engine\'s own lines beside live numbers that agree with the views', async () => {
    await page.locator('#word').fill('anna');
    for (const view of ['probs', 'attention']) await drawn(view, '1000:anna');
    const viewTarget = (await page.locator('#probs .prob-card').last().locator('.bar.target .bar-value').textContent())!;
    const viewMean = (await text('#probs .view-summary')).match(/: (\d\.\d+) \(/)![1];
    const readouts = await page.evaluate<string[]>(`[...document.querySelector('#attention svg.heatmap').querySelectorAll('rect[data-readout]')].map((r) => r.dataset.readout)`);
    const headOne = readouts.filter((r) => r.startsWith('a (position 4) →')).map((r) => r.split(': ')[1]);
    assert.equal(headOne.length, 5, 'the last row of head 1: five positions');
    await page.evaluate('window.__longTasks = []');

    // reachable from a view: "how is this computed?" opens its chapter
    await page.locator('#view-probs button.how').click();
    await page.waitForFunction(`document.getElementById('tour').open && document.getElementById('tour-live').dataset.rendered === 'logits:1000'`, null, { timeout: 5_000 });
    for (const [id, spans] of Object.entries(SPANS)) {
      await chapter(id, '1000');
      assert.equal(await current(), id);
      const code = await page.evaluate<{ file: string; first: string }[]>(`[...document.querySelectorAll('#tour-code .code-excerpt')].map((f) => ({ file: f.dataset.file, first: f.querySelector('.code-line').textContent }))`);
      assert.equal(code.length, spans.length, `${id}: one excerpt per anchor`);
      spans.forEach((span, i) => {
        assert.equal(code[i].file, span.file);
        assert.ok(code[i].first.includes(span.start), `${id}: the excerpt starts at its anchor ${span.start}: ${code[i].first}`);
      });
      assert.ok(Number(await page.evaluate<string>(`document.querySelector('#tour-code .code-excerpt').dataset.first`)) > 1, 'real line numbers');
      assert.equal(await page.locator('#tour-live .error').count(), 0, `${id}: no error`);
      assert.match(await text('#tour-live'), /after step 1000/);
      assert.ok((await text('#tour-why')).length > 80, `${id}: a sentence or two of why`);
      if (id === 'attention') await shot('tour', page.locator('#tour'));
    }

    await chapter('data', '1000');
    assert.deepEqual(await page.evaluate<string[]>(`[...document.querySelectorAll('#tour-live table.tour-ids thead th')].map((c) => c.textContent)`),
      ['token', 'BOS', 'a', 'n', 'n', 'a', 'BOS (end)']);
    assert.deepEqual((await rows('tour-ids'))[0], ['id', '26', '0', '13', '13', '0', '26']);
    await chapter('embeddings', '1000');
    const norms = await page.evaluate<number[]>(`[...document.querySelectorAll('#tour-live .tour-num')].map((n) => Number(n.dataset.value))`);
    assert.ok(Math.abs(norms[1] - 1) < 1e-4 && Math.abs(norms[0] - 1) > 1e-3, `rmsnorm makes the rms 1: ${norms}`);
    await chapter('attention', '1000');
    assert.deepEqual((await rows('tour-attention'))[0], ['head 1', ...headOne], 'head 1 at the last position, as the heatmap');
    assert.equal((await rows('tour-attention')).length, 4, 'every head');
    await chapter('mlp', '1000');
    const alive = await dataValue('.tour-alive');
    assert.ok(alive > 0 && alive < 64, `some of the 64 units are alive: ${alive}`);
    await chapter('logits', '1000');
    const pEnd = await dataValue('.tour-target-p');
    const pct = pEnd * 100;
    assert.equal(`${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`, viewTarget, 'the chapter\'s p(end) is the probabilities view\'s');
    await chapter('loss', '1000');
    assert.equal((await dataValue('.tour-mean-loss')).toFixed(3), viewMean, 'the chapter\'s mean loss is the probabilities view\'s');
    assert.equal((await rows('tour-loss')).length, 5);
    await chapter('backward', '1000');
    const endRow = (await rows('tour-grads')).find((r) => r[0] === 'end')!;
    assert.ok(Math.abs(Number(endRow[3]) - (pEnd - 1) / 5) < 1e-5, `d loss/d logit(end) = (p - 1)/n: ${endRow}`);
    const g = await dataValue('.tour-weight-grad');
    assert.ok(Number.isFinite(g) && g !== 0, `a weight's gradient: ${g}`);
    await chapter('adam', '1000');
    const adam = await adamNumbers();
    assert.ok(adam.m0 !== 0 && adam.v0 > 0, `the run's moments after 1,000 steps, not a first step's zeros: ${JSON.stringify(adam)}`);
    assert.equal(adam.m, 0.85 * adam.m0 + (1 - 0.85) * g, 'm <- beta1 m + (1 - beta1) g, from the run\'s m');
    assert.equal(adam.v, 0.99 * adam.v0 + (1 - 0.99) * (g * g), 'v <- beta2 v + (1 - beta2) g^2, from the run\'s v');
    const direction = (adam.m / (1 - 0.85 ** 1001)) / (Math.sqrt(adam.v / (1 - 0.99 ** 1001)) + 1e-8);
    assert.ok(Math.abs(adam.direction - direction) <= 1e-12 * Math.abs(direction), `m̂/(√v̂ + ε) at step 1001: ${adam.direction} vs ${direction}`);
    assert.ok(Math.abs(adam.direction) < 0.99, `remembered gradients move it by less than a first step's lr: ${adam.direction}`);
    assert.equal(adam.step, 0, 'the linear schedule\'s lr is 0 at the end of the run');
    await chapter('sampling', '1000');
    assert.match(await text('#tour-live'), /temperature 0\.50, top-k off/);
    const drawn5 = (await rows('tour-sampling')).map((r) => Number(r[1]));
    assert.ok(drawn5.length === 5 && drawn5[0] >= drawn5[4], `the likeliest first: ${drawn5}`);

    // keyboard: arrows move, Escape closes; Next and Back are the same moves
    await page.keyboard.press('ArrowLeft');
    assert.equal(await current(), 'adam');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight'); // past the last: stays
    assert.equal(await current(), 'sampling');
    await page.locator('#tour-back').click();
    assert.equal(await current(), 'adam');
    await page.keyboard.press('Escape');
    assert.equal(await tourOpen(), false, 'Escape closes the tour');
    // "Show it on the page" closes the tour and brings the chapter's view into sight
    await page.locator('#view-attention button.how').click();
    assert.equal(await current(), 'attention');
    await page.locator('#tour-show').click();
    assert.equal(await tourOpen(), false);
    const top = await page.evaluate<number>(`document.getElementById('view-attention').getBoundingClientRect().top`);
    assert.ok(Math.abs(top) < 5, `the attention view is at the top of the screen: ${top}`);
    const longest = Math.max(0, ...await page.evaluate<number[]>('window.__longTasks'));
    console.log(`# tour: longest main-thread task while opening and moving through the chapters: ${longest.toFixed(0)} ms (the long-task API reports those over 50 ms)`);
  });

  test('the whole-model picture: a block per layer, a square per head, parts that lead to their view and chapter', async () => {
    await page.locator('#model').scrollIntoViewIfNeeded();
    assert.equal(await page.locator('#model-picture .pic-block').count(), 1, 'one block: one layer');
    assert.equal(await page.locator('#model-picture .pic-head-cell').count(), 4, 'four heads');
    const labels = await page.locator('#model-picture text').allTextContents();
    for (const part of ['token ids', 'wte', '+ wpe', 'rmsnorm', 'block 1 of 1', 'rmsnorm, attention', '4 heads × 4 channels', 'rmsnorm, MLP', '16 → 64 → 16, relu', 'lm_head: 16 → 27 logits', 'softmax']) {
      assert.ok(labels.includes(part), `"${part}" in ${labels}`);
    }
    await shot('model', page.locator('#model'));
    await page.locator('#model-picture .pic-box[aria-label="block 1\'s attention: show it on the page"]').click();
    const top = await page.evaluate<number>(`document.getElementById('view-attention').getBoundingClientRect().top`);
    assert.ok(Math.abs(top) < 5, `a click on attention brings its view into sight: ${top}`);
    await page.locator('#model').scrollIntoViewIfNeeded();
    await page.locator('#model-picture .pic-how[aria-label="how is block 1\'s MLP computed?"]').click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === 'mlp:1000'`, null, { timeout: 5_000 });
    assert.equal(await tourOpen(), true);
    await page.locator('#tour-close').click();
    assert.equal(await tourOpen(), false);
  });

  test('a phone-sized screen gets one column without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(overflow <= 390, `the page is ${overflow} px wide on a 390 px screen`);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, 'phone-full.png'), fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png') });
    if (UPDATE_DOCS) copyFileSync(join(ARTIFACTS, 'phone.png'), join(SCREENSHOTS, 'phone.png'));
    // the tour on a phone: the numbers first, then the code, one column
    await page.locator('#view-probs button.how').click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === 'logits:1000'`, null, { timeout: 5_000 });
    const tourWidth = await page.evaluate<number>(`document.getElementById('tour').scrollWidth`);
    assert.ok(tourWidth <= 390, `the tour is ${tourWidth} px wide on a 390 px screen`);
    await page.screenshot({ path: join(ARTIFACTS, 'tour-phone.png') });
    if (UPDATE_DOCS) copyFileSync(join(ARTIFACTS, 'tour-phone.png'), join(SCREENSHOTS, 'tour-phone.png'));
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  test('a checkpoint downloads and loads back, continuing the same random stream', { timeout: 60_000 }, async () => {
    await page.locator('#save-button').click();
    await page.locator('#save-links a').first().waitFor({ timeout: 10_000 });
    const files: string[] = [];
    for (const link of ['#save-links a[download$=".json"]', '#save-links a[download$=".safetensors"]']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
      const path = join(ARTIFACTS, download.suggestedFilename());
      await download.saveAs(path);
      files.push(path);
    }
    const json = JSON.parse(readFileSync(files[0], 'utf8'));
    assert.equal(json.format, 'microgpt-ts checkpoint');
    assert.equal(json.step, 1000);
    assert.equal(json.data.path, 'names.txt');
    await shot('keep', page.locator('#keep'));
    // the tour's Adam chapter shows the run's own moments: the checkpoint's, to the last bit
    const head = paramLayout(json.config).find((spec) => spec.name === 'lm_head')!;
    const at = head.offset + (json.config.vocabSize - 1) * json.config.nEmbd;
    const moment = (b64: string) => new Float64Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer)[at];
    await page.locator('#view-probs button.how').click();
    await chapter('adam', '1000');
    const adam = await adamNumbers();
    await page.keyboard.press('Escape');
    assert.deepEqual([adam.m0, adam.v0], [moment(json.optimizer.m), moment(json.optimizer.v)], 'lm_head[26][0]: m and v as saved');

    const fromRun = await generate(5);
    await page.locator('#load-files').setInputFiles(files);
    await page.waitForFunction(`/Loaded a \\w+ model at step 1000/.test(document.querySelector('#status').textContent)`, null, { timeout: 20_000 });
    assert.equal(await text('#keep-error'), '');
    const fromFile = await generate(5);
    assert.deepEqual(fromFile, fromRun, 'the loaded model draws the same samples from the same random state');

    await page.locator('#load-files').setInputFiles([files[0]]);
    assert.match(await text('#keep-error'), /both files/);
  });

  test('an impossible setting gets a clear message in the form\'s words, beside its field', async () => {
    await reset();
    const fieldError = async (id: string) => page.evaluate<string>(`document.getElementById(${JSON.stringify(id)}).nextElementSibling?.textContent ?? ''`);
    const invalid = async (id: string) => page.evaluate<string | null>(`document.getElementById(${JSON.stringify(id)}).getAttribute('aria-invalid')`);
    const refused = async (id: string, value: string, message: string, marked = [id]) => {
      await page.locator(`#${id}`).fill(value);
      await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 10_000 });
      assert.equal(await text('#settings-error'), message, `${id} = ${value}`);
      assert.equal(await fieldError(marked[0]), message, 'the message is beside the field');
      for (const m of marked) assert.equal(await invalid(m), 'true', `#${m} is marked`);
      assert.equal(await page.locator('#train-button').isDisabled(), true);
    };
    await refused('n-embd', '10', 'Embedding width (10) must be divisible by Attention heads (4).', ['n-head', 'n-embd']);
    await setField('n-embd', '16');
    assert.equal(await text('#settings-error'), '');
    assert.equal(await invalid('n-embd'), null, 'the mark goes with the error');
    await refused('n-embd', '100000', 'Embedding width must be a whole number from 1 to 256.');
    await setField('n-embd', '16');
    await refused('steps', '000', 'Steps must be at least 1.');
    await setField('steps', '1000');
    assert.equal(await page.locator('#train-button').isDisabled(), false, 'training can start again');
    await refused('lr', '0', 'Lr must be > 0, got 0'.replace('Lr', '“Learning rate”'));
    await setField('lr', '0.01');
    // the largest model the form allows does not fit the page's memory: refused before anything is built
    for (const [id, value] of [['n-layer', '8'], ['n-embd', '256'], ['block-size', '256']]) await setField(id, value);
    await page.locator('#batch-size').fill('256');
    await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 20_000 });
    assert.match(await text('#settings-error'), /^This model needs about [\d.]+ GiB on the \w+ engine, more than the 1 GiB this page gives a model; make it smaller \(“Layers”, “Embedding width”, “Context length”, “Batch size”\)$/);
    assert.equal(await invalid('batch-size'), 'true');
    for (const [id, value] of [['batch-size', '1'], ['n-layer', '1'], ['n-embd', '16'], ['block-size', '16']]) await setField(id, value);
    assert.equal(await text('#settings-error'), '');
    assert.match(await text('#status'), /^Ready: 4,192 parameters, about \d+ MB on the/);
  });

  test('a damaged checkpoint is refused, and the page says the model it had is unchanged', async () => {
    const json = join(ARTIFACTS, 'damaged.json'), weights = join(ARTIFACTS, 'damaged.safetensors');
    writeFileSync(json, '{"format": "microgpt-ts checkpoint", "version": 2, "trunc');
    writeFileSync(weights, new Uint8Array(16));
    await page.locator('#load-files').setInputFiles([json, weights]);
    await page.waitForFunction(`document.querySelector('#keep-error').textContent !== ''`, null, { timeout: 10_000 });
    assert.match(await text('#keep-error'), /not valid JSON/);
    assert.equal(await text('#status'), 'Could not load the checkpoint (see Keep). The model you had is unchanged.');
    assert.equal(await page.locator('#train-button').isDisabled(), false);
  });

  test('a pasted or uploaded dataset trains', { timeout: 60_000 }, async () => {
    const words = ['abba', 'baab', 'abab', 'bbaa', 'aabb', 'baba', 'cabbac', 'acca', 'caac', 'bacab'];
    await page.locator('input[name="dataset"][value="custom"]').check();
    await page.locator('#custom-text').fill('');
    await page.waitForTimeout(350);
    assert.match(await text('#settings-error'), /Paste or upload some text/);

    const upload = join(ARTIFACTS, 'upload.txt');
    writeFileSync(upload, 'xy\nyx\n');
    await page.locator('#custom-file').setInputFiles([upload]);
    await page.waitForFunction(`/^2 documents, 2 characters: xy$/.test(document.querySelector('#data-summary').textContent)`, null, { timeout: 10_000 });
    assert.equal(await page.evaluate('document.getElementById("custom-text").value'), 'xy\nyx\n');
    await page.locator('#custom-text').fill('xxx');
    await page.waitForFunction(`/^1 document, 1 character: x$/.test(document.querySelector('#data-summary').textContent)`, null, { timeout: 10_000 });

    await page.locator('#custom-text').fill(words.join('\n'));
    await setField('steps', '150');
    assert.match(await text('#data-summary'), /^10 documents, 3 characters: abc$/);
    const samples = await trainToEnd();
    assert.equal(samples.length, 20);
    for (const s of samples) assert.match(s, /^[abc]*$/, `"${s}" uses the dataset's characters only`);
    assert.ok(Number(await text('#stat-loss')) < 1.5, `loss ${await text('#stat-loss')} on an easy dataset`);
  });

  test('a cross-origin isolated page trains a larger model on float32 kernel threads', { timeout: 60_000 }, async () => {
    assert.equal(await page.evaluate<boolean>('crossOriginIsolated'), true, 'the server sends the isolation headers');
    const cores = await page.evaluate<number>('navigator.hardwareConcurrency');
    await reset();
    await page.locator('#engine').selectOption('float32');
    await page.waitForTimeout(350);
    await ready();
    for (const [id, value] of [['n-layer', '2'], ['n-embd', '64'], ['block-size', '32'], ['batch-size', '16'], ['steps', '40']]) {
      await setField(id, value);
    }
    // the automatic choice: two threads on two or more cores at this size
    const status = await text('#status');
    if (cores >= 2) assert.match(status, /on the float32 engine \(2 threads\)/, status);
    const samples = await trainToEnd();
    assert.equal(samples.length, 20);
    assert.ok(Number(await text('#stat-loss')) < 1.5, `loss ${await text('#stat-loss')}`);
    // the picture and the tour follow the model: two blocks of four heads, 256 hidden units
    assert.equal(await page.locator('#model-picture .pic-block').count(), 2);
    assert.equal(await page.locator('#model-picture .pic-head-cell').count(), 8);
    assert.ok((await page.locator('#model-picture text').allTextContents()).includes('64 → 256 → 64, relu'));
    await page.locator('#word').fill('abba'); // a word of this dataset
    await page.locator('#view-attention button.how').click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === 'attention:40'`, null, { timeout: 10_000 });
    assert.match(await text('#tour-live'), /Layer 1 of 2/);
    assert.equal((await rows('tour-attention')).length, 4, 'a row per head');
    await chapter('mlp', '40');
    assert.equal((await rows('tour-mlp')).length, 2, 'a row per layer');
    assert.match(await text('#tour-live'), /of 256/);
    await page.keyboard.press('Escape');
  });

  test('BPE: the text coloured by token, the merges, training on tokens, and views labelled by token text', { timeout: 90_000 }, async () => {
    await page.locator('input[name="dataset"][value="names"]').check();
    await page.locator('#engine').selectOption(defaultEngine);
    await reset();
    for (const [id, value] of [['n-layer', '1'], ['n-embd', '16'], ['block-size', '16'], ['batch-size', '4'], ['steps', '150']]) await setField(id, value);
    assert.equal(await page.locator('#bpe-settings').isVisible(), false, 'characters by default');
    await page.locator('input[name="tokenizer"][value="bpe"]').check();
    await page.evaluate(`(() => { const v = document.getElementById('vocab-size'); v.value = '320'; v.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    await page.waitForFunction(`/^320 tokens \\(256 bytes \\+ 64 merges\\)/.test(document.querySelector('#token-summary').textContent)`, null, { timeout: 20_000 });
    await ready();
    assert.equal(await text('#vocab-size-value'), '320');
    const tokens = await page.locator('#token-text .token').allTextContents();
    assert.equal(tokens.length, 300);
    assert.ok(tokens.join('').replace(/↵/g, '').startsWith('emma\nolivia\nava\n'), tokens.slice(0, 8).join('|'));
    assert.ok(tokens.some((t) => t.length > 1), 'some tokens join several characters');
    const merges = await page.locator('#merge-list li').allTextContents();
    assert.equal(merges.length, 40);
    assert.match(merges[0], /^\S+ \+ \S+ → \S+ ×[\d,]+$/);
    assert.match(await text('#data-summary'), /^32,033 documents, 320 BPE tokens \(and BOS\)$/);
    await shot('tokens', page.locator('#bpe-settings'));
    assert.match(await text('#stat-params'), /^[\d,]+$/);
    const samples = await trainToEnd();
    assert.equal(samples.length, 20);
    assert.ok(Number(await text('#stat-loss')) < 4.5, `loss ${await text('#stat-loss')}`);
    // a prompt outside the names' characters is fine: bytes are tokens too
    await page.locator('#prompt').fill('Zoë');
    assert.equal(await text('#prompt-error'), '');
    for (const s of await generate(3)) assert.ok(s.startsWith('Zoë'), s);
    await page.locator('#prompt').fill('');
    // the views label each position by its token's text
    await page.locator('#word').fill('annabella');
    await drawn('probs', '150:annabella');
    // the tour on BPE tokens: the word's tokens by their text, and a 321-way softmax
    await page.locator('#view-probs button.how').click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === 'logits:150'`, null, { timeout: 10_000 });
    assert.equal(await page.locator('#tour-live table.tour-logits tbody tr').count(), 5, 'the four likeliest next tokens and the end');
    await chapter('data', '150');
    const pieces = await page.evaluate<string[]>(`[...document.querySelectorAll('#tour-live table.tour-ids thead th')].map((c) => c.textContent)`);
    assert.equal(pieces.slice(2, -1).join(''), 'annabella', `BPE tokens by their text: ${pieces}`);
    assert.ok(pieces.length < 12, `fewer tokens than characters: ${pieces}`);
    assert.match(await text('#tour-live'), /The vocabulary: 321 ids, 320 BPE tokens and BOS \(id 320\)/);
    await page.keyboard.press('Escape');
    const keys = await page.locator('#piece-key option').allTextContents();
    const labels = keys.map((k) => k.replace(/ \(position \d+\)$/, ''));
    assert.equal(labels[0], 'BOS');
    assert.equal(labels.slice(1).join(''), 'annabella');
    assert.ok(labels.length < 10, `fewer tokens than characters: ${labels}`);
    await drawn('embedding', '150');
    // saved and loaded back: the same tokenizer, the same samples from the same random state
    await page.locator('#save-button').click();
    await page.locator('#save-links a').first().waitFor({ timeout: 10_000 });
    const files: string[] = [];
    for (const link of ['#save-links a[download$=".json"]', '#save-links a[download$=".safetensors"]']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
      const path = join(ARTIFACTS, `bpe-${download.suggestedFilename()}`);
      await download.saveAs(path);
      files.push(path);
    }
    assert.match(JSON.parse(readFileSync(files[0], 'utf8')).bpe_model, /^minbpe v1\n/);
    const fromRun = await generate(3);
    await page.locator('input[name="tokenizer"][value="char"]').check();
    await page.locator('#load-files').setInputFiles(files);
    await page.waitForFunction(`/Loaded a \\w+ model at step 150/.test(document.querySelector('#status').textContent)`, null, { timeout: 20_000 });
    assert.equal(await text('#keep-error'), '');
    assert.deepEqual(await generate(3), fromRun, 'the loaded BPE model draws the same samples');
    assert.equal(await page.evaluate('document.querySelector(\'input[name="tokenizer"]:checked\').value'), 'bpe');
    assert.match(await text('#token-summary'), /^320 tokens \(256 bytes \+ 64 merges\), from the loaded model/);
    await page.locator('input[name="tokenizer"][value="char"]').check();
    await reset();
    assert.equal(await page.locator('#bpe-settings').isVisible(), false);
    assert.match(await text('#data-summary'), /32,033 documents, 26 characters/);
  });

  test('a CLI checkpoint of a text model (Shakespeare, --format text) loads, samples and is inspected', { timeout: 60_000 }, async () => {
    const out = join(ARTIFACTS, 'cli-text-model');
    const train = spawnSync(process.execPath, [join(ROOT, 'bin/microgpt.js'), 'train', '--preset', 'shakespeare', '--steps', '30', '--warmup-steps', '5',
      '--out', out, '--overwrite', '--quiet'], { encoding: 'utf8' });
    assert.equal(train.status, 0, train.stderr);
    const json = readFileSync(join(out, 'checkpoint.json'), 'utf8');
    const weights = join(out, JSON.parse(json).weights.file);
    await page.locator('#load-files').setInputFiles([join(out, 'checkpoint.json'), weights]);
    await page.waitForFunction(`/Loaded a \\w+ model at step 30/.test(document.querySelector('#status').textContent)`, null, { timeout: 20_000 });
    assert.equal(await text('#keep-error'), '');
    assert.equal(await text('#settings-note'), '', 'the bundled Shakespeare is its text: it can train on');
    assert.match(await text('#data-summary'), /^one continuous text: [\d,]+ tokens to train on in windows of 64, [\d,]+ held out$/);
    await page.locator('#prompt').fill('ROMEO:');
    await page.locator('#max-tokens').fill('40');
    for (const s of await generate(2)) assert.ok(s.startsWith('ROMEO:') && s.length > 6, s);
    await page.locator('#prompt').fill('');
    await page.locator('#max-tokens').fill('');
    await page.locator('#word').fill('To be');
    await drawn('probs', '30:To be');
    // the tour on it: every chapter computes (a space is a token too), and the main thread stays free
    await page.evaluate('window.__longTasks = []');
    await page.locator('#view-probs button.how').click();
    for (const id of Object.keys(SPANS)) {
      await chapter(id, '30');
      assert.equal(await page.locator('#tour-live .error').count(), 0, id);
      if (id === 'loss') assert.equal((await rows('tour-loss')).length, 6, 'BOS and five characters');
    }
    await page.keyboard.press('Escape');
    const longest = Math.max(0, ...await page.evaluate<number[]>('window.__longTasks'));
    console.log(`# tour through the loaded ${await text('#stat-params')}-parameter model: longest main-thread task over 50 ms: ${longest.toFixed(0)} ms (0: none)`);
  });

  test('a Llama-style CLI checkpoint: the picture draws its settings, the tour says what differs and shows no wrong numbers; it trains on and samples', { timeout: 90_000 }, async () => {
    const out = join(ARTIFACTS, 'cli-llama-model');
    const train = spawnSync(process.execPath, [join(ROOT, 'bin/microgpt.js'), 'train', '--preset', 'llama', '--steps', '8', '--stop-at', '3', '--warmup-steps', '1',
      '--out', out, '--overwrite', '--quiet'], { encoding: 'utf8' });
    assert.equal(train.status, 0, train.stderr);
    const weights = join(out, JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).weights.file);
    await page.locator('#load-files').setInputFiles([join(out, 'checkpoint.json'), weights]);
    await page.waitForFunction(`/Loaded a \\w+ model at step 3\\./.test(document.querySelector('#status').textContent)`, null, { timeout: 20_000 });
    assert.equal(await text('#keep-error'), '');
    assert.equal(await page.locator('#model-picture .pic-block').count(), 2);
    // the form shows the checkpoint's architecture, so a new run from it is a model of the same kind
    assert.deepEqual(await page.evaluate<string[]>(`['pos', 'rope-theta', 'n-kv-head', 'activation', 'mlp-hidden', 'norm'].map((id) => document.getElementById(id).value)`), ['rope', '', '2', 'swiglu', '152', 'rmsnorm']);
    assert.deepEqual(await page.evaluate<boolean[]>(`['norm-weight', 'embed-norm', 'final-norm', 'tie-embeddings'].map((id) => document.getElementById(id).checked)`), [true, false, true, false]);
    const labels = await page.locator('#model-picture text').allTextContents();
    for (const part of ['66 × 48; positions: RoPE, rotations inside attention', 'rmsnorm × gain, attention', '4 query heads share 2 key/value heads, 12 channels each, RoPE',
      'rmsnorm × gain, MLP', '48 → 2 × 152 → 48, swiglu', 'before the head']) {
      assert.ok(labels.includes(part), `"${part}" in ${labels}`);
    }
    assert.ok(!labels.includes('+ wpe'), 'no position table');
    assert.equal(labels.filter((l) => l === 'rmsnorm × gain').length, 1, 'one norm on its own: the final one, none after the embeddings');
    await shot('model-llama', page.locator('#model'), false);
    await page.locator('#model-picture .pic-how[aria-label="how is block 1\'s attention computed?"]').click();
    await page.waitForFunction(`document.getElementById('tour-live').dataset.rendered === 'attention:3'`, null, { timeout: 5_000 });
    assert.match(await text('#tour-differs'), /RoPE.*shares 2 key\/value heads among its 4 query heads/);
    assert.match(await text('#tour-live'), /this model has activation swiglu, pos rope, .*do not follow, so none are shown/);
    assert.equal(await page.locator('#tour-live table').count(), 0, 'no numbers that would be wrong');
    await chapter('data', '3');
    assert.equal(await text('#tour-differs'), '', 'the tokenizer is the reference\'s');
    assert.match(await text('#tour-live'), /The vocabulary: 66 ids/);
    await page.keyboard.press('Escape');

    // the page continues the CLI's run (one continuous text, Llama settings) as the CLI does: the
    // weights it saves at step 8 are those of `train --resume` bit for bit. Chromium's Math.cos,
    // sin, pow and exp round differently from Node 20's on a few percent of inputs, so RoPE's
    // angles and the cosine schedule take theirs from src/core/libm, as exp and pow do
    const samples = await trainToEnd();
    assert.equal(await text('#stat-step'), '8 / 8');
    assert.equal(samples.length, 20);
    assert.ok(samples.some((s) => s.length > 0), 'it writes text');
    assert.equal(await text('#save-links'), '', 'no links to the last model\'s checkpoint');
    await page.locator('#save-button').click();
    const link = page.locator('#save-links a[download$=".safetensors"]');
    await link.waitFor({ timeout: 10_000 });
    assert.match(await text('#save-links'), /^Checkpoint at step 8: /);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const fromPage = join(ARTIFACTS, 'llama-page-step8.safetensors');
    await download.saveAs(fromPage);
    const resume = spawnSync(process.execPath, [join(ROOT, 'bin/microgpt.js'), 'train', '--resume', out, '--quiet'], { encoding: 'utf8' });
    assert.equal(resume.status, 0, resume.stderr);
    const cli = join(out, JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).weights.file);
    const weightsOf = (path: string) => {
      const bytes = readFileSync(path), header = Number(bytes.readBigUInt64LE(0));
      return { header: bytes.subarray(8, 8 + header).toString(), values: new Float64Array(bytes.buffer.slice(bytes.byteOffset + 8 + header)) };
    };
    const page8 = weightsOf(fromPage), cli8 = weightsOf(cli);
    assert.equal(page8.header, cli8.header, 'the same tensors, step and settings');
    let differ = 0, worst = 0, first = -1;
    for (let i = 0; i < cli8.values.length; i++) {
      if (Object.is(page8.values[i], cli8.values[i])) continue;
      differ++;
      worst = Math.max(worst, Math.abs(page8.values[i] - cli8.values[i]));
      if (first < 0) first = i;
    }
    console.log(`# page against CLI after 5 steps of a Llama text model: ${differ} of ${cli8.values.length} weights differ`);
    assert.equal(differ, 0, `${differ} of the page's ${cli8.values.length} step-8 weights differ from the CLI's (worst by ${worst}; ` +
      `first at ${first}: ${page8.values[first]} against ${cli8.values[first]})`);
  });

  test('the Architecture settings build a Llama-style model: refused in the form\'s words when impossible, drawn in the picture, inspected', { timeout: 90_000 }, async () => {
    await page.locator('input[name="dataset"][value="names"]').check();
    await page.locator('#engine').selectOption('tensor');
    for (const [id, value] of [['n-layer', '1'], ['n-embd', '16'], ['n-head', '4'], ['block-size', '16'], ['steps', '5'], ['batch-size', '1'], ['n-kv-head', '2'], ['mlp-hidden', '40']]) {
      await page.locator(`#${id}`).fill(value);
    }
    await page.locator('#pos').selectOption('rope');
    await page.locator('#activation').selectOption('swiglu');
    await page.locator('#norm').selectOption('layernorm');
    await page.locator('#norm-weight').check();
    await page.locator('#embed-norm').uncheck();
    await page.locator('#final-norm').check();
    await page.locator('#tie-embeddings').uncheck();
    await reset(); // the last run finished: settings apply at a reset
    await page.locator('#n-kv-head').fill('3');
    await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 10_000 });
    const message = 'Key/value heads (3) must divide Attention heads (4): each key/value head serves the same number of query heads.';
    assert.equal(await text('#settings-error'), message);
    assert.equal(await page.evaluate<string>(`document.getElementById('n-kv-head').nextElementSibling?.textContent ?? ''`), message, 'beside the field');
    assert.equal(await page.locator('#train-button').isDisabled(), true);
    await setField('n-kv-head', '2');
    assert.equal(await text('#settings-error'), '');
    await page.locator('#rope-theta').fill('1');
    await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 10_000 });
    assert.equal(await text('#settings-error'), '“RoPE theta” must be > 1, got 1', 'the library\'s message, in the form\'s words');
    assert.equal(await page.evaluate<string | null>(`document.getElementById('rope-theta').getAttribute('aria-invalid')`), 'true');
    // below 1 the same words: not the browser's "at least 1", which 1 itself would then fail
    await page.locator('#rope-theta').fill('0');
    await page.waitForFunction(`document.querySelector('#settings-error').textContent.endsWith('got 0')`, null, { timeout: 10_000 });
    assert.equal(await text('#settings-error'), '“RoPE theta” must be > 1, got 0');
    await setField('rope-theta', '');
    assert.equal(await text('#settings-error'), '');
    // wte 432, lm_head 432, attn_norm 16, wq 256, wk 128, wv 128, wo 256, mlp_norm 16, fc1 1280, fc2 640, norm_f 16
    assert.match(await text('#status'), /^Ready: 3,600 parameters/);
    const samples = await trainToEnd();
    assert.equal(await text('#stat-step'), '5 / 5');
    assert.equal(samples.length, 20);
    await page.locator('#model').scrollIntoViewIfNeeded();
    const labels = await page.locator('#model-picture text').allTextContents();
    for (const part of ['27 × 16; positions: RoPE, rotations inside attention', '4 query heads share 2 key/value heads, 4 channels each, RoPE', '16 → 2 × 40 → 16, swiglu', 'layernorm × gain, attention']) {
      assert.ok(labels.includes(part), `"${part}" in ${labels}`);
    }
    await page.locator('#word').fill('kara');
    for (const view of ['probs', 'attention']) await drawn(view, '5:kara');
    assert.equal(await page.locator('#view-probs .error, #view-attention .error').count(), 0, 'no "Cannot draw this view"');
    assert.equal(await page.locator('#probs .prob-card').count(), 5, 'BOS and 4 characters: 5 predictions');
    assert.equal(await page.locator('#attention svg.heatmap').count(), 4, 'one heatmap per query head');
    await shot('probabilities-llama', page.locator('#view-probs'), false);
    // the chain-rule view's neuron follows the MLP's activation: swiglu here, then gelu
    const titles = () => page.evaluate<string[]>(`[...document.querySelectorAll('#graph .node-title')].map((t) => t.textContent)`);
    await page.locator('#piece').selectOption('neuron');
    await drawn('graph', '5:kara');
    assert.equal(await page.locator('#view-graph .error').count(), 0, 'no "Cannot draw this view"');
    assert.equal(await page.locator('#piece option[value="neuron"]').textContent(), 'an MLP neuron: silu(w·x) · up');
    assert.equal(await page.locator('#graph .node').count(), 66, '16 w, 16 x, 16 products, 15 sums, silu, up, their product');
    assert.deepEqual((await titles()).slice(-3).sort(), ['silu', 'up', '×'].sort());
    assert.match(await page.locator('#graph .view-summary').first().textContent() ?? '', /silu\(w·x\) · up, where w is the gate's row \d+ of mlp_fc1/);
    await shot('graph-swiglu', page.locator('#view-graph'), false);
    await page.locator('#activation').selectOption('gelu');
    await reset();
    await drawn('graph', '0:kara');
    assert.equal(await page.locator('#piece option[value="neuron"]').textContent(), 'an MLP neuron: gelu(w·x)');
    assert.equal(await page.locator('#graph .node').count(), 64, '16 w, 16 x, 16 products, 15 sums, gelu');
    assert.equal((await titles()).pop(), 'gelu');
    const geluGrads = await page.evaluate<number[]>(`[...document.querySelectorAll('#graph .node-grad.pos, #graph .node-grad.neg')].map((g) => Number(g.textContent))`);
    assert.ok(geluGrads.length > 30, `gradients flow back through gelu: ${geluGrads.length} nonzero grads`);
    await page.locator('#piece').selectOption('score');
    // back to the reference, which the rest of the page's tests assume
    await page.locator('#pos').selectOption('learned');
    await page.locator('#activation').selectOption('relu');
    await page.locator('#norm').selectOption('rmsnorm');
    for (const id of ['norm-weight', 'final-norm']) await page.locator(`#${id}`).uncheck();
    await page.locator('#embed-norm').check();
    for (const id of ['n-kv-head', 'mlp-hidden']) await page.locator(`#${id}`).fill('');
    await reset();
    assert.match(await text('#status'), /^Ready: 4,192 parameters/);
  });

  // Each view in turn while the model trains, traced from the moment it is brought on screen
  // (its first drawing included) through a few of the snapshots that redraw it.
  test('a 4-layer, 800k-parameter Shakespeare model training with any view open: the main thread stays free', { timeout: 240_000 }, async () => {
    await page.locator('input[name="dataset"][value="shakespeare"]').check();
    await reset(); // the last test left a finished run; a fresh run takes the form's settings (its architecture is back to the reference's)
    for (const [field, value] of [['n-layer', '4'], ['n-embd', '128'], ['n-head', '4'], ['block-size', '64'], ['steps', '100000']]) await setField(field, value);
    const params = Number((await text('#stat-params')).replace(/,/g, ''));
    assert.ok(params > 750_000 && params < 1_000_000, `${params} parameters`);
    await page.locator('#word').fill('ROMEO');
    const rendered = (view: string) => page.evaluate<string>(`document.getElementById(${JSON.stringify(view)}).dataset.rendered ?? ''`);
    const onScreen = (id: string) => async () => page.locator(`#${id}`).scrollIntoViewIfNeeded();
    const views: [name: string, open: () => Promise<void>, drawn: () => Promise<boolean>][] = [
      ['attention view', onScreen('view-attention'), async () => /:ROMEO$/.test(await rendered('attention'))],
      ['probabilities view', onScreen('view-probs'), async () => /:ROMEO$/.test(await rendered('probs'))],
      ['embedding view', onScreen('view-embedding'), async () => /^\d+$/.test(await rendered('embedding'))],
      ['graph view (attention score)', async () => { await page.locator('#piece').selectOption('score'); await onScreen('view-graph')(); },
        async () => /:ROMEO$/.test(await rendered('graph')) && await page.locator('#graph .node').count() === 64 // 15 of 32 products, then the last
          && /^⋮ 16 more products/.test(await page.locator('#graph .graph-gap').textContent() ?? '')],
      ['graph view (MLP neuron)', async () => { await page.locator('#piece').selectOption('neuron'); await onScreen('view-graph')(); },
        async () => /:ROMEO$/.test(await rendered('graph')) && await page.locator('#graph .node').count() === 64 // 15 of 128 products, then the last
          && /^⋮ 112 more products/.test(await page.locator('#graph .graph-gap').textContent() ?? '')],
      ['gradient-flow chart', async () => { await page.evaluate(`document.getElementById('flow').open = true`); await onScreen('flow')(); },
        async () => await page.locator('#flow-chart svg, #flow-chart canvas').count() > 0],
      ['tour (Adam chapter)', async () => { await page.locator('#view-probs button.how').click(); await page.locator('#tour-steps [data-step="7"]').click(); },
        async () => /^adam:\d+$/.test(await page.evaluate<string>(`document.getElementById('tour-live').dataset.rendered ?? ''`)) && await page.locator('#tour-live table.tour-adam').count() === 1],
    ];
    await page.locator('#train-button').click();
    await page.waitForFunction(`parseInt(document.querySelector('#stat-step').textContent) >= 5`, null, { timeout: 60_000 });
    const worst: string[] = [];
    for (const [name, open, drawn] of views) {
      await page.evaluate('window.__longTasks = []');
      await browser.startTracing(page, { categories: ['toplevel'] });
      await open();
      await page.waitForTimeout(4_000); // training, the view redrawn from fresh snapshots
      const tasks = mainThreadTasks(await browser.stopTracing());
      const longTasks = await page.evaluate<number[]>('window.__longTasks');
      const wall = Math.max(0, ...longTasks, ...tasks.map((t) => t.wall)), cpu = Math.max(0, ...tasks.map((t) => t.cpu));
      console.log(`# 4-layer Shakespeare model (${params.toLocaleString('en')} parameters) training, ${name}: ${tasks.length} main-thread tasks, longest ${wall.toFixed(0)} ms wall-clock, ${cpu.toFixed(0)} ms CPU (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
      assert.ok(tasks.length > 50, `${name}: the trace saw the main thread`);
      assert.ok(await drawn(), `${name}: drawn for the word while training`);
      if (cpu >= 50) worst.push(`${name}: a main-thread task ran for ${cpu.toFixed(0)} ms of CPU time`);
      if (name.startsWith('tour')) await page.keyboard.press('Escape');
    }
    await page.locator('#piece').selectOption('score');
    await page.locator('#train-button').click();
    await page.waitForFunction(buttonText('Resume'), null, { timeout: 20_000 });
    assert.deepEqual(worst, []);
  });

  // A real paste through the clipboard and a real upload, each timed from the keystroke or the
  // file's choosing until the run on the whole text is ready. Before the page held big texts
  // out of the textarea, the paste's one task was 4 s (Chromium laying out 5 MB of text).
  test('a 5 MB paste or upload: no main-thread task over 200 ms of CPU, and training starts on the whole text', { timeout: 150_000 }, async () => {
    const shakespeare = readFileSync(join(ROOT, 'data/tinyshakespeare.txt'), 'utf8');
    const big = shakespeare.repeat(Math.ceil(5e6 / shakespeare.length)).slice(0, 5_000_000);
    const upload = join(ARTIFACTS, 'big.txt');
    writeFileSync(upload, big);
    // each from an empty box, so the run (and its summary) is gone until the big text comes
    const emptied = () => page.waitForFunction(`/Paste or upload some text/.test(document.querySelector('#settings-error').textContent) && document.querySelector('#data-summary').textContent === ''`, null, { timeout: 10_000 });
    await page.locator('input[name="dataset"][value="custom"]').check();
    await page.locator('#custom-text').fill('');
    await page.locator('#reset-button').click();
    await emptied();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.evaluate((text: string) => { (globalThis as { big?: string }).big = text; }, big); // the driver's 5 MB, not timed
    await page.evaluate('navigator.clipboard.writeText(window.big)');
    const held = (from: string) => `5,000,000 characters (${(big.split('\n').length).toLocaleString('en')} lines) from ${from}, kept in memory`;

    for (const [from, act] of [
      ['pasted text', async () => { await page.locator('#custom-text').focus(); await page.keyboard.press('Control+V'); }],
      ['big.txt', async () => page.locator('#custom-file').setInputFiles([upload])],
    ] as const) {
      if (await page.locator('#custom-clear').isVisible()) {
        await page.locator('#custom-clear').click();
        await emptied();
      }
      await page.evaluate('window.__longTasks = []');
      await browser.startTracing(page, { categories: ['toplevel'] });
      await act();
      await page.waitForFunction(`document.querySelector('#data-summary').textContent.startsWith('146,765 documents, 64 characters: ')`, null, { timeout: 60_000 });
      await ready();
      const tasks = mainThreadTasks(await browser.stopTracing());
      const longTasks = await page.evaluate<number[]>('window.__longTasks');
      const wall = Math.max(0, ...longTasks, ...tasks.map((t) => t.wall)), cpu = Math.max(0, ...tasks.map((t) => t.cpu));
      console.log(`# 5 MB ${from === 'pasted text' ? 'paste' : 'upload'}: ${tasks.length} main-thread tasks until the run is ready, longest ${wall.toFixed(0)} ms wall-clock, ${cpu.toFixed(0)} ms CPU (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
      assert.ok(tasks.length > 5, 'the trace saw the main thread');
      // the page's own work is the CPU time (measured 7-17 ms); wall-clock adds waiting for a core
      // on a loaded machine (measured 19-187 ms at load 10-17 on 2 cores), so it gets a looser bound
      // that still fails the old textarea's 7.4 s
      assert.ok(cpu < 200, `a main-thread task ran for ${cpu.toFixed(0)} ms of CPU time`);
      assert.ok(wall < 1_000, `a main-thread task took ${wall.toFixed(0)} ms`);
      assert.ok((await text('#custom-held')).startsWith(held(from)), await text('#custom-held'));
      assert.equal(await page.evaluate('document.getElementById("custom-text").value.length'), 2_002, 'the box shows the start of the text only');
      assert.equal(await page.evaluate('document.getElementById("custom-text").readOnly'), true);
    }

    await setField('steps', '3');
    await trainToEnd();
    assert.equal(await text('#stat-step'), '3 / 3');
    await page.locator('#custom-clear').click();
    await page.locator('#reset-button').click();
    await page.waitForFunction(`/Paste or upload some text/.test(document.querySelector('#settings-error').textContent)`, null, { timeout: 10_000 });
    assert.equal(await page.evaluate('document.getElementById("custom-text").readOnly'), false, 'cleared, the box takes typing again');
  });

  /** Back to the bundled names with characters as tokens, as a test that follows another needs. */
  async function namesRun(): Promise<void> {
    await page.locator('input[name="dataset"][value="names"]').check();
    await page.locator('input[name="tokenizer"][value="char"]').check();
    await reset();
  }

  test('leaving the page with a trained model not yet saved asks first', { timeout: 60_000 }, async () => {
    await namesRun();
    // what the browser asks the page before a reload or a closed tab
    const leavingAsks = () => page.evaluate<boolean>(`(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; })()`);
    assert.equal(await leavingAsks(), false, 'an untrained run has nothing to lose');
    await setField('steps', '30');
    await trainToEnd();
    assert.equal(await leavingAsks(), true, 'the trained model is only in this tab');
    await page.locator('#save-button').click();
    await page.locator('#save-links a').first().waitFor({ timeout: 10_000 });
    assert.equal(await leavingAsks(), true, 'the links are there, but nothing is downloaded yet');
    for (const link of ['#save-links a[download$=".json"]', '#save-links a[download$=".safetensors"]']) {
      await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
    }
    assert.equal(await leavingAsks(), false, 'both files downloaded at this step');
  });

  test('a diverging run says what to do, and Start does not offer to go on with the broken model', { timeout: 60_000 }, async () => {
    await namesRun();
    await setField('lr', '1e9');
    await page.locator('#train-button').click();
    await page.waitForFunction(`document.querySelector('#status').textContent.startsWith('Training stopped')`, null, { timeout: 20_000 });
    assert.match(await text('#status'), /diverged.*Lower “Learning rate” or press Reset to start a new run\.$/);
    assert.equal(await page.locator('#train-button').isDisabled(), true, 'the run cannot train further');
    await setField('lr', '0.01'); // a setting changed starts a new run at once
    assert.match(await text('#status'), /^Ready: /);
  });

  test('a vocabulary too big for a short text is refused in the form\'s words, beside the slider', { timeout: 30_000 }, async () => {
    await page.locator('input[name="dataset"][value="custom"]').check();
    await page.locator('#custom-text').fill('aaaa\naaa\naa');
    await page.locator('input[name="tokenizer"][value="bpe"]').check();
    await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 10_000 });
    assert.match(await text('#settings-error'), /use a “Vocabulary” of at most 259, or more text$/);
    assert.equal(await page.evaluate('document.getElementById("vocab-size").getAttribute("aria-invalid")'), 'true');
    await namesRun();
  });

  test('an optional number box holding what is not a number is refused, not read as blank', { timeout: 30_000 }, async () => {
    // Chromium lets "1e400" (or "5-") be typed into a number box and then reports its value as ""
    await page.locator('#mlp-hidden').fill('1e400');
    await page.waitForFunction(`document.querySelector('#settings-error').textContent !== ''`, null, { timeout: 10_000 });
    assert.equal(await text('#settings-error'), 'MLP width needs a number.');
    await setField('mlp-hidden', '');
    await page.locator('#max-tokens').fill('1e400');
    assert.equal(await text('#prompt-error'), 'Longest must be empty or a whole number from 1 to 2000.');
    assert.equal(await page.locator('#generate-button').isDisabled(), true);
    await page.locator('#max-tokens').fill('');
  });

  test('a file chosen while a bigger one is still being read wins: the last choice is the text', { timeout: 60_000 }, async () => {
    const big = join(ARTIFACTS, 'slow.txt'), small = join(ARTIFACTS, 'quick.txt');
    writeFileSync(big, 'xyz\n'.repeat(500_000)); // 2 MB: a few chunks, each read of the first file made 600 ms slow below
    writeFileSync(small, 'ab\nba\n');
    await page.evaluate(`(() => {
      const read = ReadableStreamDefaultReader.prototype.read;
      window.__slowReads = 0;
      ReadableStreamDefaultReader.prototype.read = async function () {
        window.__slowReader ??= this;
        if (this !== window.__slowReader) return read.call(this);
        window.__slowReads++;
        await new Promise((resolve) => setTimeout(resolve, 600));
        try { return await read.call(this); } finally { window.__slowReads--; }
      };
      window.__restoreReads = () => { ReadableStreamDefaultReader.prototype.read = read; };
    })()`);
    await page.locator('input[name="dataset"][value="custom"]').check();
    await page.locator('#custom-file').setInputFiles([big]);
    await page.waitForFunction(`document.querySelector('#custom-held').textContent.startsWith('Reading slow.txt')`, null, { timeout: 10_000 });
    await page.locator('#custom-file').setInputFiles([small]);
    await page.waitForFunction(`document.getElementById('custom-text').value === 'ab\\nba\\n'`, null, { timeout: 10_000 });
    await page.waitForFunction('window.__slowReads === 0', null, { timeout: 10_000 });
    await page.waitForTimeout(300); // and for the text read to reach the box, if it would
    await page.evaluate('window.__restoreReads()');
    assert.equal(await page.evaluate('document.getElementById("custom-text").value'), 'ab\nba\n');
    assert.equal(await page.locator('#custom-held').isVisible(), false, 'no note of the abandoned file');
    await namesRun();
  });

  test('documents longer than the context are said to be cut, with the length that fits them', { timeout: 30_000 }, async () => {
    await namesRun();
    await setField('block-size', '16'); // a test before trains with a longer context
    await page.locator('input[name="dataset"][value="custom"]').check();
    await page.locator('#custom-text').fill('abcdefghijklmnopqrstuvwxyz\nab\n');
    await page.waitForTimeout(350);
    await ready();
    assert.equal(await text('#settings-note'), '1 of 2 documents are longer than the context (“Context length” 16): the model sees only their first 16 characters and never their end; a “Context length” of 27 fits them all.');
    await setField('block-size', '27');
    assert.equal(await text('#settings-note'), '');
    await namesRun();
    assert.equal(await text('#settings-note'), '', 'no name is longer than 15 characters');
  });

  test('a checkpoint saved after another dataset is chosen is named for the run\'s own', { timeout: 30_000 }, async () => {
    await namesRun();
    await setField('steps', '20');
    await trainToEnd();
    await page.locator('input[name="dataset"][value="shakespeare"]').check(); // for the next run, after Reset
    await page.locator('#save-button').click();
    await page.locator('#save-links a').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate('document.querySelector(\'#save-links a[download$=".json"]\').download'), 'microgpt-names-step20.json');
    await namesRun();
  });

  test('no console errors, page errors or failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
