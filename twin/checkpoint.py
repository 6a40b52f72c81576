"""microgpt-ts checkpoints from Python: the JSON's fields, checksum and Adam moments, the float64
.safetensors weights in the parameter layout, read and written as src/core/checkpoint and
src/cli/checkpoint-files.ts do. The one subtlety: the checksum is over JavaScript's JSON.
"""

import base64
import json
import math
import os
import struct
import zlib
from decimal import Decimal

import torch


class UserError(Exception):
    """Bad input: one clear message, exit code 2 (as our CLI), no traceback."""


# ---------------------------------------------------------------------------------------------
# JSON as JavaScript writes it: the checkpoint's checksum is a CRC-32 over JSON.stringify of its
# fields, and Python prints numbers differently (1e-08 for 1e-8, 10000.0 for 10000).

def js_number(x):
    if isinstance(x, bool) or isinstance(x, int):
        return json.dumps(x)
    if not math.isfinite(x):
        return 'null'
    if x == 0:
        return '0'  # JSON.stringify(-0) is 0 too
    # repr is the shortest round-trip decimal, as JavaScript's; only the layout differs
    sign, digits, exp = Decimal(repr(abs(x))).as_tuple()
    d = ''.join(map(str, digits)).rstrip('0')
    exp += len(digits) - len(d)
    k, n = len(d), exp + len(d)  # ECMAScript Number::toString's k and n
    s = '-' if x < 0 else ''
    if k <= n <= 21:
        return s + d + '0' * (n - k)
    if 0 < n <= 21:
        return s + d[:n] + '.' + d[n:]
    if -6 < n <= 0:
        return s + '0.' + '0' * -n + d
    e = n - 1
    return s + (d if k == 1 else d[0] + '.' + d[1:]) + 'e' + ('+' if e >= 0 else '-') + str(abs(e))


def js_json(x):
    """JSON.stringify(x), compact."""
    if x is None or isinstance(x, (bool, str)):
        return json.dumps(x, ensure_ascii=False)
    if isinstance(x, (int, float)):
        return js_number(x)
    if isinstance(x, list):
        return '[' + ','.join(js_json(v) for v in x) + ']'
    return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + js_json(v) for k, v in x.items()) + '}'


def crc_hex(data, crc=0):
    return '%08x' % zlib.crc32(data, crc)


def fields_checksum(fields):
    rest = {k: v for k, v in fields.items() if k != 'checksum'}
    return crc_hex(js_json(rest).encode('utf-8'))


# ---------------------------------------------------------------------------------------------
# The parameter layout (src/core/contract/params.ts): names, shapes and order of the state dict.

def kv_heads(c):
    return c.get('nKvHead', c['nHead'])


def mlp_hidden(c):
    return c.get('mlpHidden', 4 * c['nEmbd'])


def param_layout(c):
    C, H = c['nEmbd'], mlp_hidden(c)
    KV = kv_heads(c) * (C // c['nHead'])
    gains = c.get('normWeight', False)
    out = [('wte', c['vocabSize'], C)]
    if c.get('pos', 'learned') == 'learned':
        out.append(('wpe', c['blockSize'], C))
    if not c.get('tieEmbeddings', False):
        out.append(('lm_head', c['vocabSize'], C))
    if gains and c.get('embedNorm', True):
        out.append(('embed_norm', 1, C))
    for i in range(c['nLayer']):
        if gains:
            out.append((f'layer{i}.attn_norm', 1, C))
        out += [(f'layer{i}.attn_wq', C, C), (f'layer{i}.attn_wk', KV, C), (f'layer{i}.attn_wv', KV, C),
                (f'layer{i}.attn_wo', C, C)]
        if gains:
            out.append((f'layer{i}.mlp_norm', 1, C))
        out += [(f'layer{i}.mlp_fc1', 2 * H if c.get('activation') == 'swiglu' else H, C), (f'layer{i}.mlp_fc2', C, H)]
    if gains and c.get('finalNorm', False):
        out.append(('norm_f', 1, C))
    return out


# ---------------------------------------------------------------------------------------------
# Checkpoint files (src/core/checkpoint/checkpoint.ts, src/cli/checkpoint-files.ts): DIR/checkpoint.json
# names DIR/model-<step>-<crc>.safetensors (float64); Adam's moments are base64 float64 in the JSON.

def read_safetensors(data):
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        if e['dtype'] != 'F64':
            raise UserError(f'{name} has dtype {e["dtype"]}, expected F64')
        begin, end = e['data_offsets']
        t = torch.frombuffer(bytearray(data[8 + n + begin:8 + n + end]), dtype=torch.float64)
        tensors[name] = t.reshape(e['shape'])
    return tensors


def write_safetensors(tensors, metadata):
    """tensors: (name, float64 tensor) in layout order; the bytes our encodeSafetensors writes."""
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name, t in tensors:
        blob = f64_bytes(t)
        header[name] = {'dtype': 'F64', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    h = js_json(header).encode('utf-8')
    h += b' ' * (-len(h) % 8)  # space-padded so the data is 8-byte aligned
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def f64_bytes(t):
    return t.detach().to('cpu', torch.float64).contiguous().numpy().astype('<f8').tobytes()


def load_checkpoint(path):
    if not os.path.exists(path):
        raise UserError(f'no checkpoint at {path} (it does not exist)')
    d = path if os.path.isdir(path) else os.path.dirname(path)
    jpath = os.path.join(d, 'checkpoint.json') if os.path.isdir(path) else path
    if not os.path.isfile(jpath):
        raise UserError(f'no checkpoint in {d} (checkpoint.json not found)')
    with open(jpath, encoding='utf-8') as f:
        try:
            j = json.load(f)
        except ValueError:
            raise UserError(f'{jpath} is not valid JSON (truncated or modified?)')
    if not isinstance(j, dict) or j.get('format') != 'microgpt-ts checkpoint' or j.get('version') != 2:
        raise UserError(f'{jpath} is not a microgpt-ts checkpoint of version 2')
    if fields_checksum(j) != j.get('checksum'):
        raise UserError(f'{jpath} does not match its checksum (edited or corrupted?)')
    wpath = os.path.join(d, j['weights']['file'])
    with open(wpath, 'rb') as f:
        data = f.read()
    if len(data) != j['weights']['bytes'] or crc_hex(data) != j['weights']['crc32']:
        raise UserError(f'{wpath} does not match its size or CRC-32 in the checkpoint')
    tensors = read_safetensors(data)
    for name, rows, cols in param_layout(j['config']):
        if name not in tensors or list(tensors[name].shape) != [rows, cols]:
            raise UserError(f'{wpath}: {name} is missing or not of shape [{rows}, {cols}]')
    m = v = None
    if j['optimizer'] is not None:
        mb, vb = base64.b64decode(j['optimizer']['m']), base64.b64decode(j['optimizer']['v'])
        if crc_hex(vb, zlib.crc32(mb)) != j['optimizer']['crc32']:
            raise UserError('the optimizer state does not match its CRC-32')
        m, v = (torch.frombuffer(bytearray(b), dtype=torch.float64) for b in (mb, vb))
    return j, tensors, m, v


def write_atomic(path, data):
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_checkpoint(out, j, weights, m, v):
    """Writes `weights` ((name, tensor) in layout order) and moments as our saveCheckpoint does."""
    os.makedirs(out, exist_ok=True)
    meta = {'producer': 'microgpt-ts torch twin', 'step': str(j['step']), 'config': js_json(j['config'])}
    blob = write_safetensors(weights, meta)
    crc = crc_hex(blob)
    name = f'model-{j["step"]:06d}-{crc}.safetensors'
    j['weights'] = {'file': name, 'bytes': len(blob), 'crc32': crc}
    mb, vb = f64_bytes(m), f64_bytes(v)
    j['optimizer'] = {'encoding': 'base64 float64 little-endian, layout order', 'crc32': crc_hex(vb, zlib.crc32(mb)),
                      'm': base64.b64encode(mb).decode(), 'v': base64.b64encode(vb).decode()}
    j['engine'], j['threads'] = 'tensor', 1  # float64 like the tensor engine, where `train --resume` continues
    j.pop('checksum', None)
    j['checksum'] = fields_checksum(j)
    # one field per line, each value compact, as our writer lays it out
    text = '{\n' + ',\n'.join(f'  {json.dumps(k)}: {js_json(val)}' for k, val in j.items()) + '\n}\n'
    write_atomic(os.path.join(out, name), blob)
    write_atomic(os.path.join(out, 'checkpoint.json'), text.encode('utf-8'))
    for f in os.listdir(out):
        if f.startswith('model-') and f.endswith('.safetensors') and f != name:
            os.remove(os.path.join(out, f))
