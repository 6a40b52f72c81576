// The playground is a static site: `vite web` serves it, `vite build web` writes web/dist
// with relative asset paths, so any static host (or a subfolder of one) can serve it.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Cross-origin isolation lets the float32 engine share memory with kernel threads; a host
// that does not send these headers still works, on one thread.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
