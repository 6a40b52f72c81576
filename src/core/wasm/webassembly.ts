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

/** A base64 decoder built into the runtime: the standard Uint8Array.fromBase64 (ES2026), or Node's Buffer. */
const nativeBase64 = ((): ((base64: string) => Uint8Array) | undefined => {
  const fromBase64 = (Uint8Array as { fromBase64?: (base64: string) => Uint8Array }).fromBase64;
  if (fromBase64) return (base64) => fromBase64(base64);
  const buffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64'): Uint8Array } }).Buffer;
  return buffer ? (base64) => buffer.from(base64, 'base64') : undefined;
})();

/** The bytes of a module embedded as base64: natively where the runtime can (see base64Bytes). */
export function moduleBytes(base64: string): Uint8Array {
  return nativeBase64 ? nativeBase64(base64) : base64Bytes(base64);
}

/**
 * base64 decoded in plain JavaScript, for a runtime with no native decoder: a loop, since a
 * mapping callback per byte costs ~1 ms more, and cold, the loop costs the default job's
 * 20 KB module ~2 ms (the native decoders, ~0.1 ms).
 */
export function base64Bytes(base64: string): Uint8Array {
  const text = atob(base64), out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
