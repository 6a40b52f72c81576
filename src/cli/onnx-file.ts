// The .onnx file: the graph of src/core/export/onnx-graph.ts serialised as an ONNX ModelProto
// with protobufjs, from the subset of the ONNX schema it needs, written here with the
// spec's field numbers (onnx/onnx.proto, IR version 8).

import protobuf from 'protobufjs';
import type { ModelConfig } from '../core/contract/config.js';
import { UserError } from '../core/errors.js';
import { buildOnnxGraph } from '../core/export/onnx-graph.js';
import { FLOAT, type OnnxAttribute, type OnnxGraph, type OnnxTensor, type OnnxValueInfo } from '../core/export/onnx-ir.js';

const SCHEMA = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; }
  optional string name = 1;
  optional AttributeType type = 20;
  optional int64 i = 3;
  repeated int64 ints = 8;
}
message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated int64 int64_data = 7;
  optional string name = 8;
  optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension {
    oneof value { int64 dim_value = 1; string dim_param = 2; }
  }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

const IR_VERSION = 8; // the IR of opset 17

let modelProto: protobuf.Type | undefined;

function tensor(t: OnnxTensor): object {
  if (t.dataType === FLOAT) {
    const f = t.floats!, bytes = new Uint8Array(f.length * 4), view = new DataView(bytes.buffer);
    for (let i = 0; i < f.length; i++) view.setFloat32(4 * i, f[i], true); // raw_data is little-endian
    return { name: t.name, dataType: t.dataType, dims: t.dims, rawData: bytes };
  }
  return { name: t.name, dataType: t.dataType, dims: t.dims, int64Data: t.ints };
}

function attribute(a: OnnxAttribute): object {
  return a.kind === 'int' ? { name: a.name, type: 2, i: a.value } : { name: a.name, type: 7, ints: a.value };
}

function valueInfo(v: OnnxValueInfo): object {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.dataType, shape: { dim } } } };
}

// One protobuf message holds at most 2 GiB; larger models would need ONNX's external data files.
const MAX_BYTES = 2 ** 31 - 2 ** 24; // room for the graph besides the weights

/** The ModelProto bytes of a graph. */
export function encodeOnnxGraph(g: OnnxGraph): Uint8Array {
  const weightBytes = g.initializers.reduce((n, t) => n + (t.floats?.length ?? 0) * 4, 0);
  if (weightBytes > MAX_BYTES) {
    throw new UserError(`the model's ${(weightBytes / 2 ** 30).toFixed(1)} GiB of float32 weights do not fit one .onnx file (protobuf's 2 GiB limit)`);
  }
  modelProto ??= protobuf.parse(SCHEMA, { keepCase: false }).root.lookupType('onnx.ModelProto');
  const graph = {
    name: g.name,
    node: g.nodes.map((n) => ({ name: n.name, opType: n.opType, input: n.inputs, output: n.outputs, attribute: n.attributes.map(attribute) })),
    initializer: g.initializers.map(tensor),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
  const model = { irVersion: IR_VERSION, opsetImport: [{ domain: '', version: g.opset }], producerName: 'microgpt-ts', graph };
  return modelProto.encode(modelProto.fromObject(model)).finish();
}

/** The .onnx file of a model: its graph with a KV cache (see buildOnnxGraph) and its weights in float32. */
export function encodeOnnx(config: ModelConfig, weights: Float64Array): Uint8Array {
  return encodeOnnxGraph(buildOnnxGraph(config, weights));
}
