// The few globals that both Node and browsers provide, declared for the type check of the
// platform-free core (tsconfig.core.json), which loads neither Node's nor the DOM's types.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare const performance: { now(): number };
