// The kernels the engine calls, one module. Pointers are byte offsets into the imported
// memory; every buffer is float32 except token ids and targets (i32).
//
// The name says how a kernel delivers a gradient. An `xBackward` adds into it (+=), as every
// kernel of the tensor engine does (llm.c's convention): the norms, whose dinp is the residual
// stream's gradient and already holds the skip connection's share, and the embedding, whose
// rows repeat (the engine zeroes dwte and dwpe first). An `xGradient` writes it (=), so the
// step needs no zeroing pass: the products, attention, cross-entropy, the activations,
// dropout, a norm's gain, rope and the key/value heads' expansion (those elementwise or row by
// row may write in place, dinp = dout, but swiglu, whose input is twice its output's width).

export { peakFlops } from './peak';
export { matmulForward, matmulInputGradient, matmulWeightGradient } from './matmul';
export { attentionForward, attentionDecode, attentionGradient, kvStore } from './attention';
export { rmsnormForward, rmsnormBackward, layernormForward, layernormBackward, gainForward, gainGradient } from './norm';
export { reluForward, reluGradient, relu2Forward, relu2Gradient, geluForward, geluGradient,
  swigluForward, swigluGradient } from './activation';
export { crossEntropyForward, crossEntropyGradient } from './loss';
export { embeddingForward, embeddingBackward } from './embedding';
export { residualForward } from './residual';
export { ropeForward, ropeGradient } from './rope';
export { kvExpandForward, kvExpandGradient } from './kvheads';
export { dropoutForward, dropoutGradient } from './dropout';
export { adamUpdate, sumOfSquares, scale } from './adam';
