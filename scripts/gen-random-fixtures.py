"""Writes test/fixtures/random.json: CPython's `random` stream for several seeds, so the
tests can check PyRandom draw for draw without Python. Usage: python3 scripts/gen-random-fixtures.py"""
import json, os, random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cases = []
for seed in (42, 0, 1, 7, 123456789, 2**40 + 5, -3):
    r = random.Random(seed)
    case = dict(seed=seed)
    case['getrandbits32'] = [r.getrandbits(32) for _ in range(8)]
    case['random'] = [repr(r.random()) for _ in range(8)]
    case['gauss'] = [repr(r.gauss(0, 0.08)) for _ in range(101)]  # odd: leaves a cached value
    case['gauss_after'] = repr(r.gauss(1.5, 2.0))
    items = list(range(50))
    r.shuffle(items)
    case['shuffle50'] = items
    weights = [r.random() for _ in range(27)]
    case['weights'] = [repr(w) for w in weights]
    case['choices'] = [r.choices(range(27), weights=weights)[0] for _ in range(40)]
    case['randbelow'] = [r.randrange(n) for n in (1, 2, 3, 1000, 32033, 2**31)]
    cases.append(case)
with open(os.path.join(ROOT, 'test', 'fixtures', 'random.json'), 'w') as f:
    json.dump(cases, f, indent=1)
    f.write('\n')
