#!/usr/bin/env python3
"""A GPT-2-style byte-level language model in PyTorch, speaking the `collapse external`
trainer protocol (docs/trainer-protocol.md), format `lines`.

Usage (the model's own options come before the step name)::

    torch_lm.py [--preset smoke|small|paper] [--layers L] [--width D] [--heads H]
                [--context T] [--batch B] [--epochs E | --steps K] [--lr LR]
                [--weight-decay WD] [--temperature TAU] [--max-length M]
                [--sample-batch N] [--device auto|cpu|cuda] [--threads N] STEP ...

It is the PyTorch twin of the built-in Swift model (Sources/NeuralCollapse/TransformerLM.swift,
sizes from Presets.swift): the presets are the Swift presets, and so are the layout, the
initialisation, the optimiser, the schedule, the sampler and the loss.

The model
---------
Tokens are bytes (vocabulary 256). For a window of T bytes, with width D, H heads and L
layers::

    x_0 = E[b_t] + P[t]                                  (learned positional embeddings)
    x   = x + W_o·Attn(LN_1(x)) + b_o                    (causal self-attention, H heads)
    x   = x + W_2·GELU(W_1·LN_2(x) + b_1) + b_2           (MLP of width 4D, tanh GELU)
    logits = W_head·LN_f(x) + b_head                      (untied: W_head is not E)

as in the Swift model: pre-LayerNorm blocks (ε = 1e-5), fused QKV projection with bias,
no dropout, a final LayerNorm and an untied output head with bias. The parameter count is
``256·D + T·D + L·(12·D² + 13·D) + 2·D + 256·D + 256`` (the Swift formula;
``--preset paper``: T = 256, D = 320, H = 8, L = 7, 8.9M parameters).

Initialisation (GPT-2, as Swift): weights N(0, 0.02²), the residual output projections
W_o, W_2 N(0, (0.02/√(2L))²), positional embeddings N(0, 0.01²), biases 0, LayerNorm gains 1.

**fit.** The training stream is the training records each followed by "\\n" (the
records joined with "\\n", plus a final "\\n"), repeated until it holds T + 1 bytes. Each
step draws B window starts uniformly from ``0 ..< len − T`` and minimises the mean
cross-entropy of predicting bytes ``s+1 … s+T`` from ``s … s+T−1``. AdamW (β = 0.9, 0.999,
ε = 1e-8) with decoupled weight decay on the weight matrices only (not embeddings, biases
or LayerNorm), gradients clipped to global norm 1, learning rate: linear warm-up over the
first max(1, K/20) steps, then cosine decay to 10 % of the peak. K = --steps, or
⌈E · len / (B·T)⌉ for --epochs E (the Swift budget rule). ``train_loss`` is the mean
training loss over the last max(1, K/10) steps.

**sample.** Each record starts from "\\n" at position 0 and draws bytes from
softmax(z/τ) until "\\n" (not written) or M bytes (M ≤ T − 1, default T − 1), in batches
of up to N = --sample-batch sequences (default 64), with a key/value cache. Each draw is an
inverse-CDF draw in float64 (on the model's device) with a uniform from a CPU generator seeded
with --seed; a batch takes one uniform per sequence and position until all its sequences have
ended, so the samples for a seed depend on N as well (on a GPU, batches of thousands: each
position is one pass of the model, whatever N). A record's bytes are decoded as UTF-8 with invalid
sequences replaced by U+FFFD before writing, so the output is valid UTF-8 text as the
`lines` format requires (a sampled record never holds "\\n").

**evaluate.** The test stream (records each followed by "\\n") is cut into
non-overlapping windows of T + 1 bytes, as Swift does (a test text shorter than one window
is one shorter window); ``test_loss`` is the mean cross-entropy per predicted byte in nats.

Devices: CUDA when available (TF32 matmuls, bf16 autocast for the forward pass), CPU
otherwise, or as --device says. On a CPU the steps are deterministic given --seed (same
machine, same thread count); on a GPU they are up to the kernels' non-determinism. For the
GPU, fit draws every step's window starts before the first step and copies them to the
device at once (a copy from host memory each step would wait for the previous step), and the
sampler keeps its keys and values in preallocated buffers; on a CPU both give the bytes the
per-step versions gave.
"""

import argparse
import math
import os
import sys
import time

from trainer_protocol import (TrainerError, add_steps, atomic_write, integer, positive_float, read_records,
                              read_training_set, run)

PROG = "torch_lm.py"
MODEL_FILE = "model.pt"
VOCABULARY = 256
NEWLINE = 10

# The Swift presets (Presets.swift, LanguageModelTask.sizes).
PRESETS = {
    "smoke": dict(context=32, width=32, heads=2, layers=1, batch=8, epochs=2.0, lr=3e-3, weight_decay=0.01),
    "small": dict(context=96, width=128, heads=4, layers=2, batch=12, epochs=6.0, lr=2e-3, weight_decay=0.01),
    "paper": dict(context=256, width=320, heads=8, layers=7, batch=32, epochs=10.0, lr=6e-4, weight_decay=0.1),
}

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # reported by main, which then exits non-zero
    torch = None


def parameter_count(c):
    """The Swift `TransformerConfig.parameterCount`."""
    d, v = c["width"], VOCABULARY
    block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d)
    return v * d + c["context"] * d + c["layers"] * block + 2 * d + d * v + v


# MARK: Model

if torch is not None:
    class Block(nn.Module):
        """A pre-LayerNorm transformer block: causal self-attention, then a GELU MLP."""

        def __init__(self, width, heads):
            super().__init__()
            self.heads = heads
            self.ln1 = nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.ln2 = nn.LayerNorm(width)
            self.fc = nn.Linear(width, 4 * width)
            self.out = nn.Linear(4 * width, width)

        def forward(self, x, cache=None):
            """``x``: (B, t, D). With ``cache`` (this layer's `KVCache`) ``t`` must be 1: the
            new position's key and value are appended, and it attends to every cached one."""
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
            if cache is None:
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                assert t == 1, "cached decoding feeds one position at a time"
                k, v = cache.append(k, v)
                a = F.scaled_dot_product_attention(q, k, v)
            x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
            return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class KVCache:
        """One layer's keys and values for decoding positions ``0 ..< length``, kept in buffers of
        ``capacity`` positions allocated at the first append (so a step writes one position in
        place instead of copying the whole prefix, which costs O(T²) memory traffic)."""

        def __init__(self, capacity):
            self.capacity = capacity
            self.keys = self.values = None
            self.length = 0

        def append(self, k, v):
            """Appends ``k``, ``v`` (B, H, 1, D/H); returns the keys and values so far, (B, H, length, D/H)."""
            if self.keys is None:
                shape = (k.shape[0], k.shape[1], self.capacity, k.shape[3])
                self.keys, self.values = k.new_empty(shape), v.new_empty(shape)
            n = self.length
            if n >= self.capacity:
                raise IndexError(f"KVCache: position {n} beyond its capacity {self.capacity}")
            self.keys[:, :, n:n + 1] = k
            self.values[:, :, n:n + 1] = v
            self.length = n + 1
            return self.keys[:, :, :n + 1], self.values[:, :, :n + 1]

    class ByteGPT(nn.Module):
        """The byte-level decoder-only transformer (see the module docstring)."""

        def __init__(self, c):
            super().__init__()
            self.config = dict(c)
            d = c["width"]
            self.tokens = nn.Embedding(VOCABULARY, d)
            self.positions = nn.Embedding(c["context"], d)
            self.blocks = nn.ModuleList(Block(d, c["heads"]) for _ in range(c["layers"]))
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, VOCABULARY)
            resid = 0.02 / math.sqrt(2 * c["layers"])
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif ".ln" in name or name.startswith("ln_"):
                    nn.init.ones_(p)
                elif name == "positions.weight":
                    nn.init.normal_(p, std=0.01)
                elif name.endswith(("proj.weight", "out.weight")):
                    nn.init.normal_(p, std=resid)
                else:
                    nn.init.normal_(p, std=0.02)

        def forward(self, ids, start=0, caches=None):
            """Logits (B, t, 256) of ``ids`` (B, t) placed at positions ``start ..< start + t``."""
            pos = torch.arange(start, start + ids.shape[1], device=ids.device)
            x = self.tokens(ids) + self.positions(pos)
            for i, block in enumerate(self.blocks):
                x = block(x, None if caches is None else caches[i])
            return self.head(self.ln_f(x))

        def optimizer_groups(self, weight_decay):
            """Decay the weight matrices of the linear layers only (Swift: `decay: true`)."""
            decay = [p for n, p in self.named_parameters() if n.endswith("weight") and p.dim() == 2
                     and not n.startswith(("tokens", "positions"))]
            chosen = {id(p) for p in decay}
            rest = [p for p in self.parameters() if id(p) not in chosen]
            return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def warmup_cosine(step, steps, peak):
    """Swift `LearningRate.warmupCosine`: linear warm-up, then cosine decay to 10 % of the peak."""
    warm = max(1, steps // 20)
    if step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def budget_steps(args, stream_bytes, c):
    """--steps, or ⌈epochs · bytes / (B·T)⌉ with the quotient rounded to 9 decimals first (Swift)."""
    if args.steps is not None:
        return args.steps
    quotient = round(args.epochs * stream_bytes / (c["batch"] * c["context"]) * 1e9) / 1e9
    return max(1, math.ceil(quotient))


# MARK: Devices


def device_for(args):
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise TrainerError("--device cuda, but CUDA is not available")
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return torch.device("cuda")
    return torch.device("cpu")


def autocast(device):
    """bf16 autocast on CUDA; nothing on the CPU (float32 throughout, deterministic)."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def byte_stream(records):
    """The records each followed by "\\n", as a uint8 tensor's worth of bytes."""
    return b"".join(r + b"\n" for r in records)


def as_tensor(data):
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).long()


def save_model(model, model_dir):
    import io
    buffer = io.BytesIO()
    state = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "state": state}, buffer)
    atomic_write(os.path.join(model_dir, MODEL_FILE), buffer.getvalue())


def load_model(model_dir, device):
    path = os.path.join(model_dir, MODEL_FILE)
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = ByteGPT(saved["config"])
        model.load_state_dict(saved["state"])
    except FileNotFoundError:
        raise TrainerError(f"cannot read {path}: no such file (is this a model directory from fit?)") from None
    except Exception as e:  # torch raises several types for a damaged or foreign file
        raise TrainerError(f"cannot load the model {path}: {e}") from None
    return model.to(device).eval()


# MARK: Steps


def config_from(args):
    c = {k: getattr(args, k) for k in ("context", "width", "heads", "layers", "batch")}
    if c["width"] % c["heads"]:
        raise TrainerError(f"--width {c['width']} is not a multiple of --heads {c['heads']}")
    if c["context"] < 2:
        raise TrainerError("--context must be at least 2")
    return c


def step_info(args):
    c = config_from(args)
    return {"protocol": 1, "formats": ["lines"], "name": "torch_lm", "version": 1,
            "model": "byte-level GPT-2-style transformer (PyTorch)", "preset": args.preset,
            "parameters": parameter_count(c), "torch": torch.__version__}


def step_fit(args):
    began = time.perf_counter()
    c = config_from(args)
    records = read_training_set(args.train, args.format)
    if not records:
        raise TrainerError(f"{args.train}: the training set is empty")
    device = device_for(args)
    torch.manual_seed(args.seed)  # the initialisation
    batches = torch.Generator().manual_seed(args.seed)  # the window starts, on the CPU
    model = ByteGPT(c).to(device)
    data = byte_stream(records)
    steps = budget_steps(args, len(data), c)
    train_bytes = len(data)
    t = c["context"]
    while len(data) < t + 1:
        data += data
    stream = as_tensor(data).to(device)
    offsets = torch.arange(t + 1, device=device)
    opt = torch.optim.AdamW(model.optimizer_groups(args.weight_decay), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    tail = max(1, steps // 10)
    tail_loss = torch.zeros((), device=device)
    report = max(1, steps // 20)
    model.train()
    # Every step's window starts, drawn up front (the same draws in the same order as one
    # draw per step) and moved to the device at once: a per-step copy from host memory
    # waits for the GPU to finish the previous step, so no step's launches would overlap it.
    schedule = torch.stack([torch.randint(0, len(data) - t, (c["batch"],), generator=batches)
                            for _ in range(steps)]).to(device)
    for step in range(steps):
        window = stream[schedule[step][:, None] + offsets]
        lr = warmup_cosine(step, steps, args.lr)
        for group in opt.param_groups:
            group["lr"] = lr
        with autocast(device):
            logits = model(window[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, VOCABULARY), window[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= steps - tail:
            tail_loss += loss.detach()
        if (step + 1) % report == 0 or step + 1 == steps:
            value = loss.item()
            if not math.isfinite(value):
                raise TrainerError(f"the training loss became {value} at step {step + 1} of {steps}")
            print(f"step {step + 1}/{steps} loss {value:.4f} lr {lr:.3g}", file=sys.stderr, flush=True)
    train_loss = tail_loss.item() / tail
    if not math.isfinite(train_loss):
        raise TrainerError(f"the training loss over the last {tail} steps is {train_loss}")
    save_model(model, args.model_dir)
    return {"train_loss": train_loss, "steps": steps, "parameters": sum(p.numel() for p in model.parameters()),
            "seconds": time.perf_counter() - began, "records": len(records), "train_bytes": train_bytes}


def sample_records(model, count, seed, temperature, max_length, device, batch=64):
    """``count`` records (bytes) drawn as the module docstring says, ``batch`` sequences at a
    time. The draws depend on ``batch``: each step of a batch takes one uniform per sequence
    from the one generator, in sequence order, and a batch stops when all its sequences have
    ended, so another batch size gives other (equally valid) samples for the same seed."""
    rng = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < count:
        nb = min(batch, count - len(out))
        caches = [KVCache(max_length) for _ in model.blocks]
        ids = torch.full((nb, 1), NEWLINE, dtype=torch.long, device=device)
        drawn = torch.empty((nb, max_length), dtype=torch.uint8, device=device)
        done = torch.zeros(nb, dtype=torch.bool, device=device)
        length = 0  # positions drawn in this batch
        for p in range(max_length):
            with autocast(device):
                logits = model(ids, start=p, caches=caches)[:, -1]
            # The inverse-CDF draw, in float64 on the model's device; the uniforms come from
            # the CPU generator, so they do not depend on the device.
            z = logits.to(torch.float64) / temperature
            weights = torch.exp(z - z.max(dim=1, keepdim=True).values)
            cumulative = weights.cumsum(dim=1)
            u = torch.rand(nb, 1, generator=rng, dtype=torch.float64).to(device) * cumulative[:, -1:]
            nxt = torch.searchsorted(cumulative, u, right=True).clamp_(max=VOCABULARY - 1).squeeze(1)
            drawn[:, p] = nxt
            length = p + 1
            done |= nxt == NEWLINE
            if bool(done.all()):
                break
            ids = nxt.view(nb, 1)
        # A record is what its sequence drew before its first "\n" (all of it if none).
        rows = bytes(drawn[:, :length].cpu().flatten().tolist())
        for s in range(nb):
            row = rows[s * length:(s + 1) * length]
            end = row.find(b"\n")
            out.append(row if end < 0 else row[:end])
    return out


def step_sample(args):
    model = load_model(args.model_dir, device_for(args))
    t = model.config["context"]
    max_length = t - 1 if args.max_length is None else args.max_length
    if max_length > t - 1:
        raise TrainerError(f"--max-length {max_length} exceeds the context minus one ({t - 1})")
    with torch.no_grad():
        records = sample_records(model, args.count, args.seed, args.temperature, max_length,
                                 next(model.parameters()).device, batch=args.sample_batch)
    text = "".join(r.decode("utf-8", errors="replace") + "\n" for r in records)
    atomic_write(args.output, text.encode("utf-8"))
    return {"bytes": sum(len(r) for r in records)}


def step_evaluate(args):
    device = device_for(args)
    model = load_model(args.model_dir, device)
    data = byte_stream(read_records(args.test))
    if len(data) < 2:
        raise TrainerError(f"{args.test}: the test text holds fewer than 2 bytes, nothing to predict")
    t = model.config["context"]
    windows = (len(data) - 1) // t
    length = t if windows else len(data) - 1
    windows = max(windows, 1)
    stream = as_tensor(data[:windows * length + 1]).to(device)
    total = 0.0
    with torch.no_grad():
        for first in range(0, windows, 32):
            k = min(32, windows - first)
            starts = torch.arange(first, first + k, device=device) * length
            window = stream[starts[:, None] + torch.arange(length + 1, device=device)]
            with autocast(device):
                logits = model(window[:, :-1])
            total += F.cross_entropy(logits.float().reshape(-1, VOCABULARY), window[:, 1:].reshape(-1),
                                     reduction="sum").item()
    loss = total / (windows * length)
    return {"test_loss": loss, "perplexity": math.exp(loss), "bits_per_byte": loss / math.log(2),
            "test_bytes": windows * length}


# MARK: Arguments


def parser():
    p = argparse.ArgumentParser(prog=PROG, allow_abbrev=False,
                                description="Byte-level GPT-2-style trainer for `collapse external` (docs/trainer-protocol.md).")
    p.add_argument("--preset", choices=sorted(PRESETS), default="smoke",
                   help="the Swift model's sizes (default smoke); the options below override them")
    p.add_argument("--layers", type=integer(1))
    p.add_argument("--width", type=integer(1))
    p.add_argument("--heads", type=integer(1))
    p.add_argument("--context", type=integer(2), help="T: bytes per training window")
    p.add_argument("--batch", type=integer(1), help="windows per step")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=positive_float, help="passes over the training stream (sets the steps)")
    budget.add_argument("--steps", type=integer(1), help="optimiser steps per fit, whatever the data")
    p.add_argument("--lr", type=positive_float, help="peak learning rate")
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--temperature", type=positive_float, default=1.0, help="sampling temperature (default 1)")
    p.add_argument("--max-length", type=integer(0), help="bytes per sampled record at most (default context − 1)")
    p.add_argument("--sample-batch", type=integer(1), default=64,
                   help="sequences sampled at a time (default 64); the samples depend on it (see sample)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--threads", type=integer(1),
                   help="CPU threads for PyTorch (default: its own choice; 1 is fastest for tiny models)")
    add_steps(p)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if torch is None:
        print(f"{PROG} {args.step}: error: PyTorch is not installed (pip install torch)", file=sys.stderr)
        return 1
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return run(PROG, args, {"info": step_info, "fit": step_fit, "sample": step_sample, "evaluate": step_evaluate})


if __name__ == "__main__":
    sys.exit(main())
