// An ONNX graph as plain objects (nodes, initializers, typed inputs and outputs), and the small
// builder the model graph is written with. Serialising it to the protobuf file is the CLI's job
// (src/cli/onnx-file.ts), so this stays free of dependencies and runs in the browser too.

/** The element types this exporter uses, by their ONNX TensorProto.DataType numbers. */
export const FLOAT = 1, INT64 = 7, BOOL = 9;
export type DataType = typeof FLOAT | typeof INT64 | typeof BOOL;

/** A constant tensor stored in the file: the weights, and small int64 shapes and axes. */
export interface OnnxTensor {
  name: string;
  dataType: typeof FLOAT | typeof INT64;
  dims: number[];
  floats?: Float32Array; // FLOAT
  ints?: number[];       // INT64 (small: shapes, axes, indices)
}

/** One attribute value, tagged by its ONNX kind (the graph needs only these two). */
export type OnnxAttribute =
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'ints'; value: number[] };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A graph input or output: a dimension is a size or the name of a symbolic one ('batch_size'). */
export interface OnnxValueInfo {
  name: string;
  dataType: DataType;
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  opset: number; // of the default domain
  nodes: OnnxNode[];     // in topological order
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

type Attrs = Record<string, number | number[]>;

/**
 * Appends nodes in order and names what it makes: `op` returns the output's name, so the
 * model reads like the forward it exports (`x = b.op('Add', [x, y])`). Attributes: a number
 * is an int, an array ints.
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly constants = new Set<string>();
  scope = ''; // prefix of the names of the nodes made next, e.g. 'layer0/attn'

  /** One node with one output (named `out`, or after the node). */
  op(opType: string, inputs: string[], attrs: Attrs = {}, out?: string): string {
    return this.opN(opType, inputs, 1, attrs, out === undefined ? undefined : [out])[0];
  }

  /** One node with `count` outputs. */
  opN(opType: string, inputs: string[], count: number, attrs: Attrs = {}, outs?: string[]): string[] {
    const name = `${this.scope}/${opType}_${this.nodes.length}`;
    const outputs = outs ?? Array.from({ length: count }, (_, i) => `${name}_out${i}`);
    const attributes = Object.entries(attrs).map(([key, v]): OnnxAttribute =>
      typeof v === 'number' ? { name: key, kind: 'int', value: v } : { name: key, kind: 'ints', value: v });
    this.nodes.push({ name, opType, inputs, outputs, attributes });
    return outputs;
  }

  /** A float initializer (a weight) named `name`. */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${data.length} values for shape [${dims}]`);
    this.initializers.push({ name, dataType: FLOAT, dims, floats: data });
    return name;
  }

  /** A small int64 constant (a 1-D list, or a scalar with `scalar`), shared by every node that asks for the same one. */
  ints(values: number[], scalar = false): string {
    return this.constant(`const_i64_${scalar ? 's' : ''}${values.join('_').replaceAll('-', 'm')}`,
      { name: '', dataType: INT64, dims: scalar ? [] : [values.length], ints: values });
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.constant(`const_f32_${value}`, { name: '', dataType: FLOAT, dims: [], floats: Float32Array.of(value) });
  }

  private constant(name: string, t: OnnxTensor): string {
    if (!this.constants.has(name)) {
      this.initializers.push({ ...t, name });
      this.constants.add(name);
    }
    return name;
  }
}
