// The engines a run can use, by the name the CLI and the playground show.

import type { EngineFactory } from '../contract/engine.js';
import { createScalarEngine } from '../scalar/engine.js';
import { createTensorEngine } from '../tensor/engine.js';

export const ENGINES: Record<string, EngineFactory> = {
  scalar: createScalarEngine,
  tensor: createTensorEngine,
};
