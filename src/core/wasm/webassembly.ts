// The slice of the WebAssembly JS API the kernels use, typed here because the core compiles
// without the DOM library, which is where TypeScript declares it.

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module: opaque, but it can be posted to a worker. */
export type WasmModule = object;

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The runtime's WebAssembly, or undefined where there is none. */
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The bytes of a module embedded as base64 (a plain loop: a mapping callback per byte costs a cold start ~1 ms). */
export function moduleBytes(base64: string): Uint8Array {
  const text = atob(base64), out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
