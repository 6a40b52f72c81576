// A kernel thread of the float32 engine in the browser: its first message starts
// serveKernels over the shared memory, as src/cli/wasm-worker-node.ts does in Node.

import { serveKernels } from '../../src/core/wasm/worker.js';
import type { WorkerInit } from '../../src/core/wasm/protocol.js';

self.addEventListener('message', (e: MessageEvent<WorkerInit>) => serveKernels(e.data, (m) => self.postMessage(m)), { once: true });
