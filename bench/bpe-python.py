"""Times BPE training and encoding in CPython for `npm run bench`, on the same text and
vocabulary as ours: minbpe's RegexTokenizer when MINBPE_DIR names a checkout of minbpe, else
minbpe's algorithm as scripts/gen-bpe-fixtures.py runs it (the same recount of every pair
after every merge). Prints one JSON line: what ran, seconds, merges, encoded bytes.

Usage: python3 bench/bpe-python.py TEXT_FILE VOCAB_SIZE ENCODE_BYTES
"""
import importlib.util
import json
import os
import sys
import time
import types

text_file, vocab_size, encode_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(text_file, encoding='utf-8') as f:
    text = f.read()
sample = text.encode('utf-8')[:encode_bytes].decode('utf-8', errors='ignore')

minbpe = os.environ.get('MINBPE_DIR')
if minbpe:
    # the package without its __init__, which imports tiktoken for the GPT-4 wrapper alone
    package = types.ModuleType('minbpe')
    package.__path__ = [os.path.join(minbpe, 'minbpe')]
    sys.modules['minbpe'] = package
    RegexTokenizer = importlib.import_module('minbpe.regex').RegexTokenizer
    tok = RegexTokenizer()
    start = time.perf_counter()
    tok.train(text, vocab_size)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    tok.encode_ordinary(sample)
    encode_s = time.perf_counter() - start
    who = f'minbpe RegexTokenizer ({minbpe})'
else:
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location('gen_bpe', os.path.join(here, '..', 'scripts', 'gen-bpe-fixtures.py'))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    start = time.perf_counter()
    merges, _ = gen.train(text, gen.PATTERNS['gpt4'], vocab_size - 256)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    gen.encode(sample, gen.PATTERNS['gpt4'], merges)
    encode_s = time.perf_counter() - start
    who = "minbpe's algorithm (scripts/gen-bpe-fixtures.py)"
print(json.dumps({'who': who, 'train_s': train_s, 'merges': vocab_size - 256, 'encode_s': encode_s, 'encode_bytes': len(sample.encode('utf-8'))}))
