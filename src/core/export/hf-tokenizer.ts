// Our tokenizer in Hugging Face's `tokenizers` format (tokenizer.json), which transformers and
// transformers.js load. One decision: both kinds are a BPE model. A character vocabulary is a
// BPE with no merges (every character its own token, joined back by a Fuse decoder); a byte-level
// BPE is GPT-2's byte-to-character mapping of our bytes and merges, cut by our split pattern.
// BOS, the id after the others, becomes a special token that starts a lines model's documents.

import { patternSource } from '../bpe/split-patterns.js';
import type { Tokenizer } from '../contract/tokenizer.js';
import { UserError } from '../errors.js';

/** How a sample starts: a lines model's documents begin with BOS; a text model continues raw text. */
export type StartsWith = 'bos' | 'text';

/** The text of BOS: `<|bos|>`, unless a BPE special token already has it. */
export function bosText(tok: Tokenizer): string {
  let name = '<|bos|>';
  for (let k = 2; tok.bpe?.special.has(name); k++) name = `<|bos${k}|>`;
  return name;
}

/** GPT-2's printable stand-in for each byte, so byte tokens are strings (as tokenizers' ByteLevel). */
const BYTE_CHARS: string[] = (() => {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep(b) ? b : 256 + shifted++);
  return out;
})();

function byteLevel(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_CHARS[b];
  return s;
}

/** A special token as tokenizer_config.json lists it; tokenizer.json adds its id. */
function specialToken(content: string): Record<string, unknown> {
  return { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, ...specialToken(content) };
}

/** tokenizer.json for `tok`; `starts` says whether encoding puts BOS first. */
export function hfTokenizerJson(tok: Tokenizer, starts: StartsWith): Record<string, unknown> {
  const bos = bosText(tok);
  const vocab: Record<string, number> = Object.create(null); // a token may be spelt __proto__
  const added = [];
  let merges: string[] = [];
  let preTokenizer: unknown = null, decoder: unknown = { type: 'Fuse' };
  if (tok.bpe) {
    const bpe = tok.bpe;
    for (let id = 0; id < bpe.vocabSize; id++) {
      if (bpe.vocab[id].length === 0 || bpe.specialIds.has(id)) continue;
      const s = byteLevel(bpe.vocab[id]);
      // the format maps each string to one id; minbpe can make the same bytes twice ((a, bc) and (ab, c))
      if (Object.hasOwn(vocab, s)) {
        throw new UserError(`BPE tokens ${vocab[s]} and ${id} are the same bytes; Hugging Face's tokenizer format cannot tell them apart`);
      }
      vocab[s] = id;
    }
    // "left right": every version of tokenizers reads this form, and a byte-level token has no space (it is Ġ)
    merges = bpe.merges.map((m) => `${byteLevel(bpe.vocab[m.left])} ${byteLevel(bpe.vocab[m.right])}`);
    for (const [id, text] of bpe.specialIds) added.push(addedToken(id, text));
    const byteLevelPre = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
    preTokenizer = bpe.pattern === 'none' ? byteLevelPre : {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: patternSource(bpe.pattern) }, behavior: 'Isolated', invert: false }, byteLevelPre],
    };
    decoder = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  } else {
    tok.chars.forEach((ch, id) => { vocab[ch] = id; });
  }
  added.push(addedToken(tok.bos, bos));
  const first = { SpecialToken: { id: bos, type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: starts === 'text' ? null : {
      type: 'TemplateProcessing',
      single: [first, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [first, { Sequence: { id: 'A', type_id: 0 } }, first, { Sequence: { id: 'B', type_id: 0 } }],
      special_tokens: { [bos]: { id: bos, ids: [tok.bos], tokens: [bos] } },
    },
    decoder,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}

/** tokenizer_config.json: BOS is also the end and the padding; no space clean-up (characters are exact). */
export function hfTokenizerConfig(tok: Tokenizer, starts: StartsWith, blockSize: number): Record<string, unknown> {
  const bos = bosText(tok);
  const decoderEntries: Record<string, unknown> = {};
  for (const [id, text] of tok.bpe?.specialIds ?? []) decoderEntries[id] = specialToken(text);
  decoderEntries[tok.bos] = specialToken(bos);
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: bos,
    eos_token: bos,
    pad_token: bos,
    add_bos_token: starts === 'bos',
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: blockSize,
    added_tokens_decoder: decoderEntries,
  };
}

/** special_tokens_map.json. */
export function hfSpecialTokensMap(tok: Tokenizer): Record<string, unknown> {
  const bos = bosText(tok);
  return { bos_token: bos, eos_token: bos, pad_token: bos };
}
