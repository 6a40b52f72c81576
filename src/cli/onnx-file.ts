// Placeholder until the onnx-export branch is merged: that branch's file replaces this one
// whole (same name, same signature), so a merge takes theirs.

import type { ModelConfig } from '../core/contract/config.js';
import { UserError } from '../core/errors.js';

/** The serialised ONNX ModelProto of a model (not in this build yet). */
export function encodeOnnx(config: ModelConfig, weights: Float64Array): Uint8Array {
  void config; void weights;
  throw new UserError('this build has no ONNX encoder yet (the onnx-export branch brings it)');
}
