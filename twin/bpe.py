"""The twin's byte-level BPE encoder (src/core/bpe): a minbpe `.model` text to token ids.

Python's re has no \\p{L} or \\p{N}, so the split pattern's letter, digit and space classes are
spelled out from unicodedata (Unicode 14 in Python 3.11; Node 20 knows 15.1, so a letter new
in Unicode 15 would cut differently) and White_Space (which \\s differs from, as in our JS).
"""

import heapq
import re
import sys
import unicodedata

WHITE_SPACE = [(0x09, 0x0d), (0x20, 0x20), (0x85, 0x85), (0xa0, 0xa0), (0x1680, 0x1680), (0x2000, 0x200a),
               (0x2028, 0x2029), (0x202f, 0x202f), (0x205f, 0x205f), (0x3000, 0x3000)]


def _ranges(major):
    """The code points whose general category starts with `major` (L: letters, N: numbers), as ranges."""
    out, lo = [], None
    for cp in range(sys.maxunicode + 2):
        inside = cp <= sys.maxunicode and unicodedata.category(chr(cp))[0] == major
        if inside and lo is None:
            lo = cp
        elif not inside and lo is not None:
            out.append((lo, cp - 1))
            lo = None
    return out


def _class(ranges):
    return ''.join(f'\\U{lo:08x}' if lo == hi else f'\\U{lo:08x}-\\U{hi:08x}' for lo, hi in ranges)


def split_regex(pattern):
    """minbpe's pattern (Python `regex` syntax) in Python re: \\p{L}, \\p{N}, \\s and \\S as explicit classes."""
    made = {}

    def body(name):  # a class's contents, built once
        if name not in made:
            made[name] = _class(WHITE_SPACE if name == 's' else _ranges(name))
        return made[name]

    out, i, inside = [], 0, False
    while i < len(pattern):
        for token, name, negate in (('\\p{L}', 'L', ''), ('\\p{N}', 'N', ''), ('\\s', 's', ''), ('\\S', 's', '^')):
            if pattern.startswith(token, i):
                if inside and negate:
                    raise ValueError('\\S inside a class is not supported')
                out.append(body(name) if inside else f'[{negate}{body(name)}]')
                i += len(token)
                break
        else:
            step = 2 if pattern[i] == '\\' else 1
            inside = pattern[i] == '[' or (inside and pattern[i] != ']')
            out.append(pattern[i:i + step])
            i += step
    return re.compile(''.join(out))


class Bpe:
    """A minbpe `.model` text: its split pattern, special tokens and merges (token 256 + line)."""

    def __init__(self, model_text):
        lines = model_text.split('\n')
        if lines[0].strip() != 'minbpe v1':
            raise ValueError('not a minbpe v1 .model text')
        n = int(lines[2])
        self.special = dict((s.split()[0], int(s.split()[1])) for s in lines[3:3 + n])
        self.merges = {tuple(map(int, s.split())): 256 + k for k, s in enumerate(l for l in lines[3 + n:] if l.strip())}
        self.size = 256 + len(self.merges) + len(self.special)
        self.split = split_regex(lines[1].strip()) if lines[1].strip() else None
        alternation = '|'.join(re.escape(s) for s in sorted(self.special, key=len, reverse=True))
        self.specials = re.compile(alternation) if self.special else None
        self.cache = {}

    def merge(self, chunk):
        """mergeChunk: join the adjacent pair of lowest rank, leftmost first, until none merges (as minbpe)."""
        ids = list(chunk.encode('utf-8'))
        n, rank = len(ids), self.merges.get
        nxt, prv = list(range(1, n + 1)), list(range(-1, n - 1))  # a linked list over the positions left
        heap = [(rank((ids[i], ids[i + 1])), i) for i in range(n - 1) if (ids[i], ids[i + 1]) in self.merges]
        heapq.heapify(heap)
        while heap:
            r, i = heapq.heappop(heap)
            j = nxt[i]
            if ids[i] < 0 or j >= n or rank((ids[i], ids[j])) != r:
                continue  # stale: a neighbour merged since this pair was queued
            ids[i], ids[j], nxt[i] = r, -1, nxt[j]
            if nxt[i] < n:
                prv[nxt[i]] = i
            # the token made has a higher id than r, so every pair it forms ranks after this one
            for a, b in ((prv[i], i), (i, nxt[i])):
                if a >= 0 and b < n and (ids[a], ids[b]) in self.merges:
                    heapq.heappush(heap, (rank((ids[a], ids[b])), a))
        return [x for x in ids if x >= 0]

    def ordinary(self, text):
        out = []
        for chunk in (self.split.findall(text) if self.split else [text] if text else []):
            if chunk not in self.cache:
                self.cache[chunk] = self.merge(chunk)
            out += self.cache[chunk]
        return out

    def encode(self, text):
        """Every special token in the text as its id (as our encode does for the model), the rest merged."""
        if not self.specials:
            return self.ordinary(text)
        out, start = [], 0
        for m in self.specials.finditer(text):
            out += self.ordinary(text[start:m.start()]) + [self.special[m.group()]]
            start = m.end()
        return out + self.ordinary(text[start:])
