// The .safetensors format: an 8-byte header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. Ours are float64 in the parameter
// layout's names and order, so Python's safetensors reads them as they are; an export for other
// tools may write float32 (rounded to nearest), which is all they read.

import { UserError } from '../errors.js';

/** One named float64 tensor, row-major. */
export interface Tensor {
  name: string;
  shape: number[];
  data: Float64Array; // (product of shape,)
}

/** A .safetensors file of `tensors` in the given order, with string `metadata`, stored as `dtype`. */
export function encodeSafetensors(tensors: Tensor[], metadata: Record<string, string> = {}, dtype: 'F64' | 'F32' = 'F64'): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const width = dtype === 'F64' ? 8 : 4;
  let dataLen = 0;
  for (const t of tensors) {
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new Error(`${t.name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [dataLen, dataLen + width * t.data.length] };
    dataLen += width * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8; // space-padded so the data is 8-byte aligned
  const out = new Uint8Array(8 + headerLen + dataLen);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.fill(0x20, 8, 8 + headerLen);
  out.set(json, 8);
  let pos = 8 + headerLen;
  for (const t of tensors) {
    if (dtype === 'F64') for (let i = 0; i < t.data.length; i++, pos += 8) view.setFloat64(pos, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
  }
  return out;
}

/** Where one tensor's values lie in the file, as its header says. */
export interface TensorEntry {
  shape: number[];
  begin: number; // byte offsets into the data after the header
  end: number;
}

/** A file's header, checked against the file's size; no tensor data is read or allocated yet. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  dataStart: number; // byte offset of the data
}

/**
 * The header of a .safetensors file: every tensor's dtype, shape and byte range, checked to
 * tile the data exactly (no gap, no overlap, nothing left over). Anything malformed is a
 * UserError. A shape can only be as large as the bytes that hold it, so a crafted header
 * cannot make a reader allocate more than the file's own size.
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const fail = (why: string): never => { throw new UserError(`not a valid .safetensors file: ${why}`); };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) fail(`the header claims ${headerLen} bytes but the file has ${bytes.length} (truncated?)`);
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch {
    fail('the header is not valid JSON (truncated or modified?)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');

  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const ok = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.values(raw).every((x) => typeof x === 'string');
      metadata = ok ? raw as Record<string, string> : fail('__metadata__ must map names to strings');
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e?.dtype !== 'F64') fail(`${name} has dtype ${String(e?.dtype)}, expected F64`);
    const shape = Array.isArray(e.shape) && e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? e.shape as number[] : fail(`${name} has no valid shape`);
    const offsets = Array.isArray(e.data_offsets) && e.data_offsets.length === 2 ? e.data_offsets : [NaN, NaN];
    const [begin, end] = offsets as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && end <= dataLen && end - begin === 8 * size)) {
      fail(`${name}'s byte range [${begin}, ${end}) does not hold shape [${shape}] within ${dataLen} data bytes (truncated?)`);
    }
    tensors.set(name, { shape, begin, end });
  }
  const ranges = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  let covered = 0;
  for (const { begin, end } of ranges) {
    if (begin !== covered) fail(`the tensors' byte ranges have a gap or an overlap at byte ${covered}`);
    covered = end;
  }
  if (covered !== dataLen) fail(`${dataLen - covered} bytes after the last tensor`);
  return { tensors, metadata, dataStart };
}

/** The values of the tensor `name`, which the header must list. */
export function tensorData(bytes: Uint8Array, header: SafetensorsHeader, name: string): Float64Array {
  const entry = header.tensors.get(name)!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float64Array((entry.end - entry.begin) / 8); // (product of shape,)
  for (let i = 0, pos = header.dataStart + entry.begin; i < data.length; i++, pos += 8) data[i] = view.getFloat64(pos, true);
  return data;
}

/** Every tensor and the metadata of a .safetensors file; anything malformed is a UserError. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(bytes);
  const tensors = new Map<string, Tensor>();
  for (const [name, { shape }] of header.tensors) tensors.set(name, { name, shape, data: tensorData(bytes, header, name) });
  return { tensors, metadata: header.metadata };
}
