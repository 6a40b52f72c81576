"""The Shakespeare scale recipe in PyTorch, for a side-by-side time per iteration.

Not part of the package: run by `npm run bench -- --torch` where Debian's python3-torch is
installed. The model is ours (the same blocks as microgpt-ts with --activation gelu
--norm layernorm: a norm after the embeddings, pre-norm blocks, no biases, untied lm_head),
so both sides do the same arithmetic; the optimizer is AdamW as in nanoGPT's recipe.
Arguments are key=value: data, layers, heads, embd, block, batch, iters, threads (torch's
intra-op threads; OpenBLAS takes OPENBLAS_NUM_THREADS), val (held-out batches, 0 for none).
Prints one JSON line: ms/iteration (median over iterations), tokens/s, final val loss.
"""
import json, math, sys, time
import torch
import torch.nn.functional as F

args = dict(a.split("=", 1) for a in sys.argv[1:])
data_path = args.get("data", "data/tinyshakespeare.txt")
n_layer, n_head, n_embd = int(args.get("layers", 4)), int(args.get("heads", 4)), int(args.get("embd", 128))
block, batch, iters = int(args.get("block", 64)), int(args.get("batch", 12)), int(args.get("iters", 2000))
threads = int(args.get("threads", 0))
if threads:
    torch.set_num_threads(threads)
torch.manual_seed(1337)

text = open(data_path, encoding="utf-8").read()
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
ids = torch.tensor([index[c] for c in text], dtype=torch.long)
cut = int(0.9 * len(ids))
train_ids, val_ids = ids[:cut], ids[cut:]
V = len(chars)


def batch_of(split):
    src = train_ids if split == "train" else val_ids
    starts = torch.randint(len(src) - block - 1, (batch,))
    x = torch.stack([src[s:s + block] for s in starts])
    y = torch.stack([src[s + 1:s + 1 + block] for s in starts])
    return x, y


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = torch.nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.wo = torch.nn.Linear(n_embd, n_embd, bias=False)
        self.fc1 = torch.nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.fc2 = torch.nn.Linear(4 * n_embd, n_embd, bias=False)
        self.register_buffer("mask", torch.tril(torch.ones(block, block, dtype=torch.bool)))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(F.layer_norm(x, (C,))).split(C, dim=2)
        heads = lambda t: t.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, NH, T, hd)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // n_head)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.wo(y)
        return x + self.fc2(F.gelu(self.fc1(F.layer_norm(x, (C,))), approximate="tanh"))


class GPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(V, n_embd)
        self.wpe = torch.nn.Embedding(block, n_embd)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(n_layer))
        self.lm_head = torch.nn.Linear(n_embd, V, bias=False)

    def forward(self, idx, targets):
        x = F.layer_norm(self.wte(idx) + self.wpe(torch.arange(idx.shape[1])), (n_embd,))
        for b in self.blocks:
            x = b(x)
        logits = self.lm_head(x)
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


model = GPT()
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)


def lr_at(step, warmup=100, lr=1e-3):
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, iters - warmup)))


times = []
for step in range(iters):
    t0 = time.perf_counter()
    for g in opt.param_groups:
        g["lr"] = lr_at(step)
    x, y = batch_of("train")
    loss = model(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - t0)
    if step % 200 == 0:
        print(f"step {step} loss {loss.item():.4f} {1000 * times[-1]:.1f} ms", file=sys.stderr)

val_windows = int(args.get("val", 200))  # held-out batches for the final loss; 0 skips it
val = None
if val_windows:
    with torch.no_grad():
        model.eval()
        val = sum(model(*batch_of("val")).item() for _ in range(val_windows)) / val_windows

times.sort()
ms = 1000 * times[len(times) // 2]
print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "params": params, "ms_per_iter": ms, "tokens_per_s": batch * block / ms * 1000,
                  "gflops": 6 * params * batch * block / ms / 1e6, "val_loss": val}))
