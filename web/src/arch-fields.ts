// The form's Architecture group: the settings beyond the reference model (docs/llama.md's, and LayerNorm).
// Each goes into the run's model only when it is not the reference's, so a run with the
// defaults is the reference run, draw for draw.

import { type Activation, DEFAULT_MODEL, type ModelConfig, type Norm, type Position } from '../../src/core/contract/config.js';
import { byId } from './dom.js';
import { FieldError, fieldLabel, numberField } from './form-check.js';

type Shape = Pick<ModelConfig, 'nEmbd' | 'nHead'>;
type Architecture = Pick<ModelConfig, 'pos' | 'ropeTheta' | 'nKvHead' | 'activation' | 'mlpHidden' | 'norm' | 'normWeight' | 'embedNorm' | 'finalNorm' | 'tieEmbeddings'>;

const checked = (id: string) => byId<HTMLInputElement>(id).checked;
const select = (id: string) => byId<HTMLSelectElement>(id).value;
// an optional number: blank means the reference's value (a box holding what is not a number, such as
// "1e400", also reads as "", so numberField says it needs one)
const optional = (id: string) => {
  const input = byId<HTMLInputElement>(id);
  return input.value.trim() === '' && !input.validity.badInput ? undefined : numberField(id);
};

/** The architecture settings of the form that differ from the reference's, checked against the model's shape. */
export function readArchitecture({ nEmbd, nHead }: Shape): Architecture {
  const out: Architecture = {};
  const pos = select('pos') as Position, activation = select('activation') as Activation;
  const nKvHead = optional('n-kv-head'), mlpHidden = optional('mlp-hidden');
  if (pos !== DEFAULT_MODEL.pos) {
    if ((nEmbd / nHead) % 2 !== 0) {
      throw new FieldError(['pos', 'n-head'], `RoPE turns pairs of a head's channels: ${fieldLabel('n-embd')} / ${fieldLabel('n-head')} (${nEmbd / nHead}) must be even.`);
    }
    out.pos = pos;
    const theta = optional('rope-theta');
    if (theta !== undefined && theta !== DEFAULT_MODEL.ropeTheta) out.ropeTheta = theta; // the library says why a theta <= 1 cannot work
  }
  if (nKvHead !== undefined && nKvHead !== nHead) {
    if (nKvHead > nHead || nHead % nKvHead !== 0) {
      throw new FieldError(['n-kv-head', 'n-head'], `${fieldLabel('n-kv-head')} (${nKvHead}) must divide ${fieldLabel('n-head')} (${nHead}): each key/value head serves the same number of query heads.`);
    }
    out.nKvHead = nKvHead;
  }
  if (activation !== DEFAULT_MODEL.activation) out.activation = activation;
  if (mlpHidden !== undefined && mlpHidden !== 4 * nEmbd) out.mlpHidden = mlpHidden;
  const norm = select('norm') as Norm;
  if (norm !== DEFAULT_MODEL.norm) out.norm = norm;
  if (checked('norm-weight')) out.normWeight = true;
  if (!checked('embed-norm')) out.embedNorm = false;
  if (checked('final-norm')) out.finalNorm = true;
  if (checked('tie-embeddings')) out.tieEmbeddings = true;
  return out;
}

/** Shows a loaded model's architecture in the form (blank numbers: the reference's). */
export function writeArchitecture(c: ModelConfig): void {
  byId<HTMLSelectElement>('pos').value = c.pos ?? DEFAULT_MODEL.pos;
  byId<HTMLInputElement>('rope-theta').value = c.ropeTheta === undefined || c.ropeTheta === DEFAULT_MODEL.ropeTheta ? '' : String(c.ropeTheta);
  byId<HTMLSelectElement>('activation').value = c.activation ?? DEFAULT_MODEL.activation;
  byId<HTMLInputElement>('n-kv-head').value = c.nKvHead === undefined || c.nKvHead === c.nHead ? '' : String(c.nKvHead);
  byId<HTMLInputElement>('mlp-hidden').value = c.mlpHidden === undefined || c.mlpHidden === 4 * c.nEmbd ? '' : String(c.mlpHidden);
  byId<HTMLSelectElement>('norm').value = c.norm ?? DEFAULT_MODEL.norm;
  byId<HTMLInputElement>('norm-weight').checked = c.normWeight === true;
  byId<HTMLInputElement>('embed-norm').checked = c.embedNorm !== false;
  byId<HTMLInputElement>('final-norm').checked = c.finalNorm === true;
  byId<HTMLInputElement>('tie-embeddings').checked = c.tieEmbeddings === true;
}
