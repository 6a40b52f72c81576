// tiktoken's vocabularies (`cl100k_base.tiktoken`: one token per line, its bytes in base64 and
// its rank) as merges. tiktoken keeps only ranks; the merge that made each token is recovered by
// encoding the token's bytes with the lower ranks alone, which must leave exactly two parts.

import { UserError } from '../errors.js';
import { type BpeTokenizer, type Merge, createBpeTokenizer, mergeChunk, pairKey } from './bpe-tokenizer.js';
import type { SplitPatternName } from './split-patterns.js';

/** A tokenizer from tiktoken's rank file text, its split pattern and its special tokens. */
export function tokenizerFromRanks(rankText: string, pattern: SplitPatternName, special: Map<string, number>, source: string): BpeTokenizer {
  const tokens: { bytes: Uint8Array; rank: number }[] = [];
  rankText.split('\n').forEach((line, k) => {
    if (line.trim() === '') return;
    const m = /^([A-Za-z0-9+/]+={0,2}) (\d+)$/.exec(line.trim());
    if (!m) throw new UserError(`${source}: line ${k + 1}: expected a base64 token and its rank`);
    tokens.push({ bytes: Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)), rank: Number(m[2]) });
  });
  tokens.sort((a, b) => a.rank - b.rank);
  const byteIds = new Int32Array(256).fill(-1);
  for (const t of tokens) if (t.bytes.length === 1) byteIds[t.bytes[0]] = t.rank;
  const missing = byteIds.indexOf(-1);
  if (missing >= 0) throw new UserError(`${source}: byte ${missing} has no token, so some texts could not be encoded`);
  // encode each longer token with the merges found so far
  const partial = { byteIds, mergeIds: new Map<number, number>() } as BpeTokenizer;
  const merges: Merge[] = [];
  for (const t of tokens) {
    if (t.bytes.length < 2) continue;
    const parts = mergeChunk(partial, t.bytes);
    if (parts.length !== 2) throw new UserError(`${source}: the token of rank ${t.rank} cannot be made by merging two lower-ranked tokens`);
    merges.push({ left: parts[0], right: parts[1], id: t.rank });
    partial.mergeIds.set(pairKey(parts[0], parts[1]), t.rank);
  }
  return createBpeTokenizer(pattern, merges, special, byteIds);
}
