"""Writes test/fixtures/data.json: tricky dataset files and how Python reads them, so the tests
can check our reading without Python. Each case's bytes go to a file that is read exactly as the
reference reads its data, `[line.strip() for line in open(path) if line.strip()]`, and as
`open(path).read()` for the text format. Usage: python3 scripts/gen-data-fixtures.py"""
import base64, json, os, sys, tempfile, unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPACES = [c for c in range(sys.maxunicode + 1) if chr(c).isspace()]

cases = []  # (name, bytes)
def case(name, data):
    cases.append((name, data if isinstance(data, bytes) else data.encode('utf-8')))

# line endings: universal newlines end a line at \n, \r\n and a lone \r
case('plain', 'emma\nolivia\nava\n')
case('no final newline', 'emma\nolivia')
case('crlf', 'emma\r\nolivia\r\n')
case('lone cr', 'emma\rolivia\r')
case('cr cr lf', 'a\r\r\nb\r\r\n')
case('lf cr', 'a\n\rb\n\r')
case('mixed endings', 'a\r\nb\rc\nd\r\n\r\ne\n\n\r\r\nf')
case('only line endings', '\r\n\r\n\n\r\r')
case('crlf across an 8 KiB read', 'x' * 8191 + '\r\n' + 'y' * 8190 + '\r\r\n' + 'z')

# the byte-order mark is U+FEFF to Python's utf-8 codec: a character, not whitespace
case('bom at start', '\ufeffemma\nolivia\n')
case('bom alone on the first line', '\ufeff\nemma\n')
case('bom between spaces', ' \ufeff \nemma\n')
case('bom in the middle', 'em\ufeffma\n\ufeff olivia \ufeff\n')
case('two boms', '\ufeff\ufeffa\n')

# whitespace: every str.isspace() character at the edges of a line and inside it
for c in SPACES:
    ch = chr(c)
    case(f'space U+{c:04X}', f'{ch}{ch}a{ch}b{ch}\nc{ch}\n{ch}d\n{ch}\n')
case('every space at the edges', ''.join(map(chr, SPACES)) + 'x' + ''.join(map(chr, SPACES)) + '\n')
case('whitespace-only lines', ' \t\n\u3000\n\x85\n\x0b\x0c\n\u2028\u2029\n\x1c\x1d\x1e\x1f\n\xa0\u202f\n')

# characters that look like space or line breaks but are neither to Python's file iteration
case('zero-width and other non-spaces', '\u200bx\u200b\n\u200b\n\u2060a\u2060\n\u180eb\u180e\n\u200c\u200d\n')
case('separators inside lines', 'a\u2028b\na\u2029b\na\x85b\na\x0bb\x0cc\na\x1cb\x1dc\x1ed\x1fe\n')
case('separators at line edges', '\u2028a\u2029\n\x85b\x85\n\x0bc\x0c\n')

# characters the tokenizer must sort by code point (not UTF-16 unit) and keep whole
case('astral and emoji', '\U0001F600\n\U0001D518\U0001D52B\U0001D526\n\U0001F469\u200d\U0001F469\u200d\U0001F467\n\ue000\uff5e\uffff\n')
case('combining marks', 'e\u0301\n\u00e9\n\u0301a\nn\u0303o\u0308\n')
case('non-latin scripts', 'caf\u00e9\n\u4e2d\u6587\n\u0627\u0644\u0639\u0631\u0628\u064a\u0629\n\u05e9\u05dc\u05d5\u05dd\n')
case('empty', b'')
case('nothing after stripping', ' \n\t\r\n\u3000\n')

# not UTF-8: Python's open() raises UnicodeDecodeError; we refuse with one line
case('latin-1', b'caf\xe9\nna\xefve\n')
case('lone continuation byte', b'a\x80b\n')
case('truncated at the end', b'abc\n\xe2\x82')
case('bad continuation', b'ab\xe2\x28\xa1\n')
case('overlong slash', b'a\xc0\xafb\n')
case('overlong three bytes', b'\xe0\x80\xafx\n')
case('utf-8 surrogate', b'a\xed\xa0\x80b\n')
case('above U+10FFFF', b'a\xf4\x90\x80\x80\n')
case('byte F5', b'a\xf5\n')
case('invalid after 8 KiB', b'x\n' * 5000 + b'\xff\n')
case('utf-16 le with bom', '\ufeffemma\nolivia\n'.encode('utf-16-le'))
case('utf-16 be with bom', '\ufeffemma\nolivia\n'.encode('utf-16-be'))
case('utf-32 le with bom', '\ufeffemma\n'.encode('utf-32-le'))
case('utf-16 le non-ascii without bom', 'caf\u00e9\n'.encode('utf-16-le'))

# NUL bytes: Python reads them as characters; we refuse such a file as binary
case('utf-16 le ascii without bom', 'emma\nolivia\n'.encode('utf-16-le'))
case('nul inside a line', b'a\x00b\n')


def python_reading(data):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
        path = f.name
    try:
        with open(path) as f:
            assert f.encoding.lower().replace('-', '') == 'utf8', \
                f'open() reads {f.encoding}: run in a UTF-8 locale (or with PYTHONUTF8=1), as the reference assumes'
        try:
            docs = [line.strip() for line in open(path) if line.strip()]  # the reference, verbatim
            text = open(path).read()
        except UnicodeDecodeError as e:
            bad = None
            try:
                data.decode('utf-8')
            except UnicodeDecodeError as whole:
                bad = whole  # its offset counts from the file's start, open()'s from a read chunk
            return dict(error='UnicodeDecodeError', reason=e.reason, start=bad.start)
        return dict(docs=docs, vocab=sorted(set(''.join(docs))), text=text, textVocab=sorted(set(text)))
    finally:
        os.unlink(path)


out = dict(
    python=sys.version.split()[0], unicode=unicodedata.unidata_version, spaces=SPACES,
    cases=[dict(name=name, bytes=base64.b64encode(data).decode('ascii'), **python_reading(data)) for name, data in cases],
)
with open(os.path.join(ROOT, 'test', 'fixtures', 'data.json'), 'w') as f:
    json.dump(out, f, indent=1)  # ASCII with \u escapes: every character stays visible in a diff
    f.write('\n')
print(f'{len(cases)} cases, {len(SPACES)} whitespace code points (Python {out["python"]}, Unicode {out["unicode"]})')
