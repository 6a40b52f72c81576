"""Reference merges for the BPE tests, by minbpe's algorithm run the slow, obvious way.

Each merge recounts every adjacent pair over the whole text (chunk by chunk, in text order)
into a fresh dict and takes the pair with the highest count; Python's max() returns the first
such pair in the dict's insertion order, so ties go to the pair that occurs first. The text is
cut into chunks by the GPT-2 or GPT-4 pattern with the `regex` module (pip install regex, or
Debian's python3-regex), exactly as minbpe's RegexTokenizer does.

Writes test/fixtures/bpe/merges.json: for each pattern, the corpus's chunks, the merges as [left, right] pairs (the
i-th makes token 256 + i) with their counts, and the encodings of a few probe strings.

Usage: python3 scripts/gen-bpe-fixtures.py
"""
import json
import os

import regex

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
CORPUS = os.path.join(ROOT, 'test', 'fixtures', 'bpe', 'corpus.txt')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'bpe', 'merges.json')
MERGES = 700

# the split patterns as minbpe and tiktoken write them
PATTERNS = {
    'none': None,
    'gpt2': r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    'gpt4': r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+""",
}

# strings where the possessive quantifiers, \s and case folding could cut differently
SPLIT_PROBES = ['!a', '!!a', ' !a', '\u00a0a', '\ufeffa', '\x85a', 'a\x85b', '  \x85\n x', "'s'S'ſ'K's's", "don'ſt it'ſ I'ſt HE'St", "I'M YOU'RE we'Ve",
                '?!\n\n\nx', ' ?!\r\n\r\n', '\t\t\n', '   ', 'x   ', '123456789', '١٢٣٤', 'a1b2', '...a', '\u3000\u3000x',
                '\u200b\u200bx', '\U0001F642\U0001F642a', 'e\u0301e\u0301', '\u00ad\u00ada', "''", "'", ' \n \n']

PROBES = ['', 'a', 'aaabdaaabac', 'First Citizen:\nBefore we proceed any further, hear me speak.',
          "I'LL say it's 1234567 \u00e9t\u00e9 \U0001F642\U0001F642 \u65e5\u672c\u8a9e  \n\n x", '\ufeff\x85 \u3000tail   ']


def chunks_of(text, pattern):
    if pattern is None:
        return [text] if text else []
    return regex.findall(pattern, text)


def replace_pair(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train(text, pattern, n_merges):
    chunks = [list(c.encode('utf-8')) for c in chunks_of(text, pattern)]
    merges, counts = [], []
    for m in range(n_merges):
        stats = {}
        for ids in chunks:
            for pair in zip(ids, ids[1:]):
                stats[pair] = stats.get(pair, 0) + 1
        if not stats:
            break
        pair = max(stats, key=stats.get)
        merges.append(list(pair))
        counts.append(stats[pair])
        chunks = [replace_pair(ids, pair, 256 + m) for ids in chunks]
    return merges, counts


def encode(text, pattern, merges):
    rank = {tuple(p): 256 + i for i, p in enumerate(merges)}
    out = []
    for chunk in chunks_of(text, pattern):
        ids = list(chunk.encode('utf-8'))
        while len(ids) >= 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: rank.get(p, float('inf')))
            if pair not in rank:
                break
            ids = replace_pair(ids, pair, rank[pair])
        out.extend(ids)
    return out


def main():
    with open(CORPUS, encoding='utf-8', newline='') as f:
        text = f.read()
    result = {'corpus': 'corpus.txt', 'merges_per_pattern': MERGES, 'patterns': {}}
    for name, pattern in PATTERNS.items():
        merges, counts = train(text, pattern, MERGES)
        result['patterns'][name] = {
            'chunks': chunks_of(text, pattern),
            'merges': merges,
            'counts': counts,
            'probes': [{'text': p, 'ids': encode(p, pattern, merges)} for p in PROBES],
        }
        print(f'{name}: {len(merges)} merges, last count {counts[-1]}')
    result['split_probes'] = {name: [{'text': t, 'chunks': chunks_of(t, pattern)} for t in SPLIT_PROBES]
                              for name, pattern in PATTERNS.items() if pattern is not None}
    wiki_merges, _ = train('aaabdaaabac', None, 3)
    result['wikipedia'] = {'text': 'aaabdaaabac', 'merges': wiki_merges, 'ids': encode('aaabdaaabac', None, wiki_merges)}
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(result, f, ensure_ascii=True, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
