// The float64 kernels of the tensor engine, a module of their own (a few KB) so the default
// job never loads the float32 one. Every sum runs in the TypeScript kernels' order, one
// multiply then one add per term (never a fused multiply-add), with f64x2 lanes across
// independent sums, so the results are bit for bit those of src/core/tensor/. The kernels
// that call exp, log and pow call libm.ts, the port of src/core/libm/.

export { matmulForward, matmulBackward } from './matmul';
export { adamUpdate } from './adam';
export { crossentropyForward, crossentropyBackward } from './crossentropy';
export { reluForward, reluBackward, residualForward, residualBackward } from './pointwise';
export { embeddingForward, embeddingBackward } from './embedding';
export { attentionForward, attentionBackward } from './attention';
export { rmsnormForward, rmsnormBackward } from './rmsnorm';
export { gaussPairs, boxMullerSin, boxMullerCos } from './box-muller';
export { tokenProbabilities } from './sampling';
export { shuffleDraws } from './shuffle';
export { exp, expExact, log, logExact, pow, powExact } from './libm';
