#!/usr/bin/env python3
"""microgpt-ts's PyTorch twin: the same model, data, loss and AdamW in PyTorch, reading and
writing our checkpoints, so a run can move to GPUs and many machines (torchrun, DDP) and back.

  python3 twin/microgpt_torch.py eval --from DIR
  torchrun --nproc_per_node 2 twin/microgpt_torch.py train --from DIR --out DIR2 [--stop-at S] [--eval-every N]

It continues a checkpoint (make a fresh one with `microgpt train ... --stop-at 0`): weights,
Adam's moments, step and random stream; the batches are the ones our loop would take (the
shuffled documents in turn, or text windows drawn from the checkpoint's random stream), split
across the ranks, so any number of ranks takes the very step one process would. Character and
BPE tokenizers (twin/bpe.py). Dropout draws its masks from torch, not from our generator. The
only dependencies are the standard library and torch.
"""

import argparse
import contextlib
import math
import os
import random
import sys
import time

try:
    import torch
except ImportError:  # one line, not a traceback: the usual cause is a python3 other than the one torch is installed for
    sys.exit(f'the PyTorch twin needs torch, which {sys.executable} cannot import: install it (Debian: '
             'apt-get install python3-torch, for /usr/bin/python3; elsewhere: pip install torch) or run the python3 that has it')
import torch.nn.functional as F

from bpe import Bpe
from checkpoint import UserError, crc_hex, kv_heads, load_checkpoint, mlp_hidden, param_layout, save_checkpoint


# ---------------------------------------------------------------------------------------------
# Data (src/cli/dataset.ts, src/core/data, src/core/run/run.ts): the same documents, shuffle,
# vocabulary and held-out split, rebuilt from the file and the seed.

def read_text(path):
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f'dataset cannot be read ({e.strerror}): {path}')
    try:
        text = raw.decode('utf-8')  # a leading BOM stays U+FEFF, as our decoder keeps it
    except UnicodeDecodeError as e:
        raise UserError(f'dataset is not valid UTF-8 text (offset {e.start}): {path}')
    return text.replace('\r\n', '\n').replace('\r', '\n'), crc_hex(raw)


def load_data(j, path=None):
    """Token ids of the training part and the held-out sequences, as the checkpoint's run cut them."""
    d, seed = j['data'], j['seed']
    path = path or d.get('path')
    if not path:
        raise UserError('the checkpoint does not say where its data is; give --data')
    text, crc = read_text(path)
    if d.get('crc32') not in (None, crc):
        raise UserError(f'{path} is not the text the run trained on (its CRC-32 differs from the checkpoint\'s)')
    W, vf = j['config']['blockSize'] + 1, d['valFraction']
    bos, encode = tokenizer(j, path)
    if d['format'] == 'text':
        held = 0 if vf == 0 else max(2, math.floor(len(text) * vf))
        # the two parts encoded apart, as splitText: BPE merges never cross the cut
        train, val = encode(text[:len(text) - held]), encode(text[len(text) - held:])
        # evalWindows: consecutive windows overlapping by one id
        total = max(1, (len(val) - 1) // (W - 1)) if len(val) >= 2 else 0
        return {'text': train, 'val': [val[i * (W - 1):i * (W - 1) + W] for i in range(total)]}
    docs = [line.strip() for line in text.split('\n') if line.strip()]
    random.Random(seed).shuffle(docs)
    held = 0 if vf == 0 else max(1, math.floor(len(docs) * vf))
    frame = lambda doc: [bos] + encode(doc) + [bos]
    return {'docs': [frame(x) for x in docs[:len(docs) - held]], 'val': [frame(x) for x in docs[len(docs) - held:]]}


def tokenizer(j, path):
    """BOS and the encoder of the checkpoint's tokenizer: its BPE model, or its characters."""
    if 'bpe_model' in j:
        return j['config']['vocabSize'] - 1, Bpe(j['bpe_model']).encode
    ids = {ch: i for i, ch in enumerate(j['vocab'])}

    def encode(s):
        missing = set(s) - ids.keys()
        if missing:
            raise UserError(f'{path}: character {min(missing)!r} is not in the model\'s vocabulary')
        return [ids[ch] for ch in s]
    return len(ids), encode


def next_batches(data, train, step, rng, W):
    """nextBatches (run.ts): gradAccum micro-batches of batchSize sequences for 0-based `step`."""
    B, accum = train['batchSize'], train.get('gradAccum', 1)
    out = []
    for k in range(accum):
        if 'text' in data:
            ids = data['text']
            starts = [rng.randrange(len(ids) - W + 1) if len(ids) > W else 0 for _ in range(B)]
            out.append([ids[s:s + W] for s in starts])
        else:
            docs, first = data['docs'], (step * accum + k) * B
            out.append([docs[(first + i) % len(docs)] for i in range(B)])
    return out


# ---------------------------------------------------------------------------------------------
# The model (docs/llama.md), over a batch of sequences padded at the end: causal attention
# keeps padding from reaching the real positions, and padded targets are ignored.

class GPT(torch.nn.Module):
    def __init__(self, config, tensors, dtype, device):
        super().__init__()
        self.c = config
        self.names = [name for name, _, _ in param_layout(config)]
        self.params = torch.nn.ParameterList(
            [torch.nn.Parameter(tensors[n].to(device, dtype).clone()) for n in self.names])
        self.p = dict(zip(self.names, self.params))

    def norm(self, x, gain):
        if self.c.get('norm', 'rmsnorm') == 'layernorm':
            x = x - x.mean(-1, keepdim=True)
        x = x * (x.pow(2).mean(-1, keepdim=True) + 1e-5).rsqrt()
        return x * self.p[gain] if gain in self.p else x

    def act(self, u):
        a, H = self.c.get('activation', 'relu'), mlp_hidden(self.c)
        if a == 'swiglu':
            return F.silu(u[..., :H]) * u[..., H:]
        if a == 'gelu':  # GPT-2's tanh form
            return 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u ** 3)))
        return F.relu(u) ** 2 if a == 'relu2' else F.relu(u)

    def rope(self, x):  # (S, heads, T, hd): pairs (i, i + hd/2), Hugging Face's rotate-half
        T, hd = x.shape[2], x.shape[3]
        inv = self.c.get('ropeTheta', 10000) ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angle = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]  # (T, hd/2)
        cos, sin = (f(angle).repeat(1, 2).to(x) for f in (torch.cos, torch.sin))
        a, b = x[..., :hd // 2], x[..., hd // 2:]
        return x * cos + torch.cat([-b, a], -1) * sin

    def forward(self, idx):  # (S, T) -> logits (S, T, V)
        c, p = self.c, self.p
        S, T = idx.shape
        C, NH, KV = c['nEmbd'], c['nHead'], kv_heads(c)
        hd, drop = C // NH, c.get('dropout', 0) if self.training else 0
        x = p['wte'][idx]
        if 'wpe' in p:
            x = x + p['wpe'][:T]
        if c.get('embedNorm', True):
            x = self.norm(x, 'embed_norm')
        causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        for l in range(c['nLayer']):
            w = lambda n: p[f'layer{l}.{n}']
            h = self.norm(x, f'layer{l}.attn_norm')
            q = (h @ w('attn_wq').T).view(S, T, NH, hd).transpose(1, 2)  # (S, NH, T, hd)
            k = (h @ w('attn_wk').T).view(S, T, KV, hd).transpose(1, 2)  # (S, KV, T, hd)
            v = (h @ w('attn_wv').T).view(S, T, KV, hd).transpose(1, 2)
            if c.get('pos', 'learned') == 'rope':
                q, k = self.rope(q), self.rope(k)
            if KV < NH:  # query head i uses i // (NH/KV)
                k, v = k.repeat_interleave(NH // KV, 1), v.repeat_interleave(NH // KV, 1)
            att = (q @ k.transpose(-2, -1)) * hd ** -0.5  # (S, NH, T, T)
            att = att.masked_fill(~causal, float('-inf')).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(S, T, C)
            x = x + F.dropout(y @ w('attn_wo').T, drop)
            h = self.norm(x, f'layer{l}.mlp_norm')
            x = x + F.dropout(self.act(h @ w('mlp_fc1').T) @ w('mlp_fc2').T, drop)
        if c.get('finalNorm', False):
            x = self.norm(x, 'norm_f')
        return x @ p['wte' if c.get('tieEmbeddings', False) else 'lm_head'].T


def loss_sum(model, seqs, block_size, device):
    """Sum of -log p over every predicted token (each sequence cut to the context), and their count."""
    n = [min(block_size, len(s) - 1) for s in seqs]
    T = max(n)
    idx = torch.zeros(len(seqs), T, dtype=torch.long)
    tgt = torch.full((len(seqs), T), -1, dtype=torch.long)
    for i, (s, k) in enumerate(zip(seqs, n)):
        idx[i, :k] = torch.tensor(s[:k])
        tgt[i, :k] = torch.tensor(s[1:k + 1])
    logits = model(idx.to(device))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.to(device).view(-1), ignore_index=-1, reduction='sum'), sum(n)


def lr_at(t, step):
    """learningRateAt (src/core/contract/schedule.ts)."""
    lr, steps, warm = t['learningRate'], t['steps'], t.get('warmupSteps', 0)
    if step < warm:
        return lr * (step + 1) / warm
    done, total = step - warm, steps - warm
    schedule = t.get('schedule', 'linear')
    if schedule == 'linear':
        return lr * (1 - done / total)
    if schedule == 'cosine':
        return lr * 0.5 * (1 + math.cos(math.pi * (done / total)))
    return lr


@torch.no_grad()
def adamw_step(params, m, v, t, step, lr):
    """Our adamUpdate (src/core/tensor/adam.ts) after clipGradNorm, over the flat moments."""
    grads = [p.grad for p in params]
    clip = t.get('gradClip', 0)
    if clip:
        norm = math.sqrt(sum(float((g.to(torch.float64) ** 2).sum()) for g in grads))
        if norm > clip:
            for g in grads:
                g.mul_(clip / norm)
    b1, b2, eps, wd = t['beta1'], t['beta2'], t['epsAdam'], t.get('weightDecay', 0)
    c1, c2 = 1 - b1 ** (step + 1), 1 - b2 ** (step + 1)
    at = 0
    for p, g in zip(params, grads):
        mi, vi = m[at:at + p.numel()].view_as(p), v[at:at + p.numel()].view_as(p)
        mi.mul_(b1).add_((1 - b1) * g)
        vi.mul_(b2).add_((1 - b2) * (g * g))
        if wd > 0:
            p.mul_(1 - lr * wd)  # AdamW: decoupled, every tensor as ours
        p.sub_((lr * (mi / c1)) / ((vi / c2).sqrt() + eps))
        p.grad = None
        at += p.numel()


# ---------------------------------------------------------------------------------------------
# The commands.

@torch.no_grad()
def held_out_loss(model, val, block_size, device):
    """Mean -log p over every held-out token, as `microgpt eval`: the loss and the token count."""
    was_training = model.training
    model.eval()  # no dropout
    total, tokens = 0.0, 0
    for i in range(0, len(val), 64):  # chunks of 64 sequences, as EVAL_CHUNK
        s, n = loss_sum(model, val[i:i + 64], block_size, device)
        total, tokens = total + float(s), tokens + n
    model.train(was_training)
    if not math.isfinite(total):
        raise UserError(f'the held-out loss is {total / tokens}: the model\'s weights have diverged')
    return total / tokens, tokens


def evaluate(args):
    j, tensors, _, _ = load_checkpoint(args.src)
    device = torch.device(args.device)
    model = GPT(j['config'], tensors, getattr(torch, args.dtype), device)
    val = load_data(j, args.data)['val']
    if not val:
        raise UserError(f'the checkpoint\'s run held nothing out (val-fraction {j["data"]["valFraction"]})')
    loss, tokens = held_out_loss(model, val, j['config']['blockSize'], device)
    print(f'loss {loss!r} | {tokens} predicted tokens in {len(val)} sequences')


def train(args):
    rank, world = int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    if args.device == 'cuda':
        device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device(args.device)
    # every check before the ranks meet, so a bad setting is one message, not a hung group
    j, tensors, m, v = load_checkpoint(args.src)
    c, t = j['config'], j['train']
    stop = t['steps'] if args.stop_at is None else args.stop_at
    if not j['step'] < stop <= t['steps']:
        raise UserError(f'the checkpoint is at step {j["step"]} of {t["steps"]}: --stop-at must be above it and at most {t["steps"]}'
                        if j['step'] < t['steps'] else f'the run has done all its {t["steps"]} steps')
    if rank == 0 and os.path.exists(os.path.join(args.out, 'checkpoint.json')) and not args.overwrite:
        raise UserError(f'{args.out} already holds a checkpoint; add --overwrite to replace it')
    if t['batchSize'] < world:
        raise UserError(f'batch-size {t["batchSize"]} is less than the {world} ranks: each rank needs a sequence')
    data = load_data(j, args.data)
    if args.eval_every and not data['val']:
        raise UserError(f'--eval-every needs a held-out part, and the run held nothing out (val-fraction {j["data"]["valFraction"]})')
    if world > 1:
        torch.distributed.init_process_group('nccl' if device.type == 'cuda' else 'gloo')
    model = GPT(c, tensors, getattr(torch, args.dtype), device).train()
    n = sum(p.numel() for p in model.params)
    m = torch.zeros(n, dtype=torch.float64) if m is None else m
    v = torch.zeros(n, dtype=torch.float64) if v is None else v
    m, v = m.to(device, model.params[0].dtype), v.to(device, model.params[0].dtype)
    ids = [device] if device.type == 'cuda' else None
    ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids) if world > 1 else model
    rng = random.Random()
    r = j['rng']
    rng.setstate((3, tuple(r['mt']) + (r['index'],), r['gaussNext']))
    W = c['blockSize'] + 1
    first, began = j['step'], time.perf_counter()
    while j['step'] < stop:
        start, step = time.perf_counter(), j['step']
        lr = lr_at(t, step)
        batches = next_batches(data, t, step, rng, W)
        tokens = sum(min(W - 1, len(s) - 1) for b in batches for s in b)
        total = 0.0
        for k, batch in enumerate(batches):
            mine = batch[rank::world]  # this rank's share; every rank draws the same batches
            sync = contextlib.nullcontext() if world == 1 or k == len(batches) - 1 else ddp.no_sync()
            with sync:
                s, _ = loss_sum(ddp, mine, c['blockSize'], device)
                # every token weighs 1/tokens of the whole step; DDP averages over ranks, hence * world
                (s * (world / tokens)).backward()
            total += float(s)
        if world > 1:
            sums = torch.tensor([total], dtype=torch.float64, device=device)
            torch.distributed.all_reduce(sums)
            total = float(sums[0])
        loss = total / tokens
        if not math.isfinite(loss):
            raise UserError(f'the loss at step {step + 1} is {loss}: the run diverged')
        adamw_step(list(model.params), m, v, t, step, lr)
        j['step'] = step + 1
        if rank == 0 and (j['step'] % args.log_every == 0 or j['step'] == stop):
            ms = (time.perf_counter() - start) * 1000
            print(f'step {j["step"]}/{t["steps"]} | loss {loss:.4f} | lr {lr:.6f} | {ms:.1f} ms', flush=True)
        # rank 0 alone, on its own model (no collectives): the others wait at the next step's all-reduce
        if rank == 0 and args.eval_every and (j['step'] % args.eval_every == 0 or j['step'] == stop):
            val, _ = held_out_loss(model, data['val'], c['blockSize'], device)
            print(f'step {j["step"]}: val loss {val!r} after {time.perf_counter() - began:.3f} s', flush=True)
    if rank == 0:
        state = rng.getstate()
        j['rng'] = {'mt': list(state[1][:624]), 'index': state[1][624], 'gaussNext': state[2]}
        j['settings']['elapsed-ms'] = j['settings'].get('elapsed-ms', 0) + round((time.perf_counter() - began) * 1000)  # the run's time, all sessions
        save_checkpoint(args.out, j, [(name, p) for name, p in zip(model.names, model.params)], m, v)
        ms = (time.perf_counter() - began) * 1000 / max(1, j['step'] - first)
        print(f'saved step {j["step"]} to {args.out} ({j["step"] - first} steps, {ms:.1f} ms/step on {world} rank{"s" * (world > 1)})')
    if world > 1:
        torch.distributed.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='command', required=True)
    for name in ('eval', 'train'):
        s = sub.add_parser(name)
        s.add_argument('--from', dest='src', required=True, help='checkpoint directory')
        s.add_argument('--data', help="the run's dataset, if not at the path the checkpoint records")
        s.add_argument('--device', default='cpu', help='cpu, cuda (one GPU per rank) or mps')
        s.add_argument('--dtype', default='float64', choices=['float64', 'float32'], help='float64 equals our engines')
    s.add_argument('--out', required=True, help='directory to save the checkpoint to')
    s.add_argument('--stop-at', type=int, help="stop (and save) at this step (default: the run's last)")
    s.add_argument('--log-every', type=int, default=10, help='print a line every this many steps')
    s.add_argument('--overwrite', action='store_true', help='replace a checkpoint already in --out')
    s.add_argument('--eval-every', type=int, default=0, help='print the held-out loss every this many steps and at the end (0: never)')
    args = ap.parse_args()
    if args.command == 'train' and args.log_every < 1:
        ap.error(f'--log-every must be at least 1, got {args.log_every}')
    if args.command == 'train' and args.eval_every < 0:
        ap.error(f'--eval-every must be at least 0, got {args.eval_every}')
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', torch.get_num_threads())))
    try:
        (evaluate if args.command == 'eval' else train)(args)
    except (UserError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
