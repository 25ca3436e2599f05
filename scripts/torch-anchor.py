#!/usr/bin/env python3
"""PyTorch's times for the training steps that `collapse neural bench` measures (its --anchor).

    scripts/torch-anchor.py [--preset small] [--runs 10] [--device cpu] > torch.txt
    collapse neural bench --preset small --runs 10 --anchor torch.txt

Each step is rebuilt from the Swift models (Sources/NeuralCollapse/TransformerLM.swift, VAE.swift,
Diffusion.swift, Throughput.swift; layers and AdamW in Sources/Autodiff) at the preset's sizes,
fp32, one CPU thread (torch.set_num_threads(1); the bench pins BLAS to one thread). Timing as the
bench's: sgemm n^3 and the lm step are the median of max(5, --runs) products / --runs steps after
2 warm-ups; vae and diffusion the median of 3 whole fits of --runs steps (fresh weights and AdamW,
learning-rate schedule, loss check), per step, after a warm-up fit of 2 steps. --device cuda runs
the same steps on the GPU, synchronised at each clock read; --anchor skips such (`cuda`) lines.

Exact replicas (same function, x.W + b with W stored in x out, same init distributions, same
optimiser, same FLOPs):
* lm: byte-token and learned-position embeddings (gathered per token, not decayed), pre-norm
  blocks (layer norm eps 1e-5, one QKV linear, causal softmax attention over full T x T products
  scaled 1/sqrt(d_h), output projection + residual; layer norm, linear 4D, tanh GELU, linear D +
  residual), final layer norm, untied output head with bias, mean cross-entropy; AdamW lr 1e-3
  (constant, as the bench), betas (0.9, 0.999), eps 1e-8, decay 0.01 on weight matrices only,
  global-norm clipping to 1 every step.
* vae: 784 -> hidden ReLU -> (mu, log var) by two linears -> z = mu + exp(lv/2) eps -> hidden
  ReLU -> 784 sigmoid; loss mse + (2 sigma^2/784) KL, sigma^2 = 0.05; AdamW without decay,
  clipping to 5, warm-up 5 % then cosine to 10 % of the preset's rate.
* diffusion: DDPM noise predictor [x_t (24 coordinates), 16 sin/cos features of t/K] -> hidden x
  layers SiLU -> 24, loss mse(eps_hat, eps), linear beta schedule over the preset's K; AdamW as vae.
Not copied: the data. Batches come from random tensors of the Swift training sets' sizes (bytes,
uniform pixels, normal coordinates): no shape or FLOP changes. Batch assembly (gathers, noise,
time features) is vectorised torch where Swift loops. --attention sdpa swaps in
F.scaled_dot_product_attention (what a PyTorch user would write; it may skip the masked half, so
not the same work).

Output: a `torch ...` header line, then per measurement `name<TAB>device<TAB>T ms[/step]<TAB>
G GFLOP[/step]<TAB>...`; the name's first word is the bench's key (`sgemm 512^3`, `lm-small`,
`vae-small`, `diffusion-small`). GFLOP/step is the bench's analytic matrix-multiply count, so
both sides can be checked to time the same work. Timings on a shared machine are noisy: compare
runs made side by side. Needs PyTorch only.
"""
import argparse, math, statistics, sys, time

# (context, width, heads, layers, batch); (hidden, latent, batch, lr, train images);
# (hidden, layers, diffusion steps, batch, lr, train conformers): Presets.swift, VAE.swift, Diffusion.swift.
PRESETS = {
    "smoke": ((32, 32, 2, 1, 8), (32, 4, 16, 2e-3, 100), (32, 2, 20, 32, 2e-3, 100)),
    "small": ((96, 128, 4, 2, 12), (256, 16, 64, 1e-3, 2000), (256, 3, 100, 128, 1e-3, 2000)),
    "paper": ((256, 320, 8, 7, 32), (512, 32, 128, 1e-3, 60000), (512, 4, 1000, 256, 5e-4, 40000)),
}
IMAGE, COORDS, TIME_FEATURES, VOCAB = 784, 24, 16, 256
torch = F = None

class Params:
    """Trainable tensors, split by whether AdamW's weight decay applies (ParameterList)."""

    def __init__(s, dev):
        s.dev, s.decay, s.plain = dev, [], []
    def normal(s, rows, cols, std, decay=True):
        t = (torch.randn(rows, cols, device=s.dev) * std).requires_grad_()
        (s.decay if decay else s.plain).append(t)
        return t
    def const(s, n, value):
        t = torch.full((n,), float(value), device=s.dev, requires_grad=True)
        s.plain.append(t)
        return t
    def all(s):
        return s.decay + s.plain
    def adamw(s, lr, wd):
        groups = [{"params": s.decay, "weight_decay": wd}, {"params": s.plain, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)

def warmup_cosine(step, steps, peak):  # LearningRate.warmupCosine
    warm = max(1, steps // 20)
    if step < warm:
        return peak * (step + 1) / warm
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm))))

# The bench's analytic matrix-multiply FLOPs of one step (forward + backward = 3 x forward):
def lm_flops(t, d, h, layers, b, *_):  # TransformerConfig.trainingFLOPsPerStep
    return 3 * (layers * (24 * b * t * d * d + 4 * b * t * t * d) + 2 * b * t * d * VOCAB)
def vae_flops(hd, k, b, *_):  # VAEConfig.trainingFLOPsPerStep
    return 3 * 2 * b * (IMAGE * hd + hd * 2 * k + k * hd + hd * IMAGE)
def diffusion_flops(hd, layers, steps_k, b, *_):  # DiffusionConfig.trainingFLOPsPerStep
    return 3 * 2 * b * ((COORDS + TIME_FEATURES) * hd + (layers - 1) * hd * hd + hd * COORDS)

def lm_step(t, d, h, layers, b, dev, sdpa):
    """One step of NeuralThroughput.languageModelStep; returns (step, parameter count)."""
    p, dh, resid = Params(dev), d // h, 0.02 / math.sqrt(2 * layers)
    tokens, positions = p.normal(VOCAB, d, 0.02, decay=False), p.normal(t, d, 0.01, decay=False)
    blocks = [(p.const(d, 1), p.const(d, 0), p.normal(d, 3 * d, 0.02), p.const(3 * d, 0),
               p.normal(d, d, resid), p.const(d, 0), p.const(d, 1), p.const(d, 0),
               p.normal(d, 4 * d, 0.02), p.const(4 * d, 0), p.normal(4 * d, d, resid), p.const(d, 0))
              for _ in range(layers)]
    lnf = (p.const(d, 1), p.const(d, 0))
    head, headb = p.normal(d, VOCAB, 0.02), p.const(VOCAB, 0)
    opt, params = p.adamw(1e-3, 0.01), p.all()
    stream = torch.randint(0, VOCAB, (40000,), device=dev)
    window, pos_ids = torch.arange(t + 1, device=dev), torch.arange(t, device=dev).repeat(b)
    mask = torch.ones(t, t, dtype=torch.bool, device=dev).triu(1)

    def norm(x, g, beta):
        return F.layer_norm(x, (d,), g, beta, 1e-5)

    def step():
        starts = torch.randint(0, stream.numel() - t, (b,), device=dev)
        w = stream[starts[:, None] + window]
        ids, targets = w[:, :-1].reshape(-1), w[:, 1:].reshape(-1)
        x = tokens[ids] + positions[pos_ids]
        for g1, b1, wqkv, bqkv, wo, bo, g2, b2, w1, c1, w2, c2 in blocks:
            q, k, v = torch.addmm(bqkv, norm(x, g1, b1), wqkv).view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4)
            if sdpa:
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                s = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(dh))
                a = s.masked_fill(mask, float("-inf")).softmax(-1) @ v
            x = x + torch.addmm(bo, a.transpose(1, 2).reshape(b * t, d), wo)
            x = x + torch.addmm(c2, F.gelu(torch.addmm(c1, norm(x, g2, b2), w1), approximate="tanh"), w2)
        loss = F.cross_entropy(torch.addmm(headb, norm(x, *lnf), head), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()

    return step, sum(x.numel() for x in params)

def vae_fit(hidden, latent, batch, lr, count, dev):
    """VariationalAutoencoder.fit with a budget of `steps` steps."""
    d, k, kl_weight = IMAGE, latent, 2 * 0.05 / IMAGE
    data = torch.rand(count, d, device=dev)

    def fit(steps):
        p = Params(dev)
        w = [p.normal(d, hidden, math.sqrt(2 / d)), p.const(hidden, 0),
             p.normal(hidden, k, math.sqrt(1 / hidden)), p.const(k, 0),
             p.normal(hidden, k, 0.1 * math.sqrt(1 / hidden)), p.const(k, 0),
             p.normal(k, hidden, math.sqrt(2 / k)), p.const(hidden, 0),
             p.normal(hidden, d, math.sqrt(1 / hidden)), p.const(d, 0)]
        opt, params = p.adamw(lr, 0.0), p.all()
        for i in range(steps):
            opt.param_groups[0]["lr"] = opt.param_groups[1]["lr"] = warmup_cosine(i, steps, lr)
            x = data[torch.randint(0, count, (batch,), device=dev)]
            eps = torch.randn(batch, k, device=dev)
            hid = torch.relu(torch.addmm(w[1], x, w[0]))
            mu, lv = torch.addmm(w[3], hid, w[2]), torch.addmm(w[5], hid, w[4])
            z = mu + torch.exp(0.5 * lv) * eps
            xhat = torch.sigmoid(torch.addmm(w[9], torch.relu(torch.addmm(w[7], z, w[6])), w[8]))
            kl = 0.5 * (mu * mu + lv.exp() - 1 - lv).sum() / batch
            train_step(F.mse_loss(xhat, x) + kl_weight * kl, params, opt, 5.0)

    return fit

def diffusion_fit(hidden, layers, steps_k, batch, lr, count, dev):
    """ConformerDiffusionModel.fit with a budget of `steps` steps."""
    d, f = COORDS, TIME_FEATURES
    lo, hi = min(0.01, 1e-4 * 1000 / steps_k), min(0.35, 0.02 * 1000 / steps_k)
    betas = torch.tensor([lo + (hi - lo) * i / (steps_k - 1) for i in range(steps_k)], dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)
    root_a, root_n = alpha_bar.sqrt().float().to(dev), (1 - alpha_bar).sqrt().float().to(dev)
    freqs = torch.tensor([100.0 ** (j / (f // 2)) for j in range(f // 2)], device=dev)
    data = torch.randn(count, d, device=dev)

    def fit(steps):
        p, w, fan_in = Params(dev), [], d + f
        for _ in range(layers):
            w += [p.normal(fan_in, hidden, math.sqrt(2 / fan_in)), p.const(hidden, 0)]
            fan_in = hidden
        w += [p.normal(hidden, d, math.sqrt(1 / hidden)), p.const(d, 0)]
        opt, params = p.adamw(lr, 0.0), p.all()
        for i in range(steps):
            opt.param_groups[0]["lr"] = opt.param_groups[1]["lr"] = warmup_cosine(i, steps, lr)
            x0 = data[torch.randint(0, count, (batch,), device=dev)]
            ts = torch.randint(1, steps_k + 1, (batch,), device=dev)
            eps = torch.randn(batch, d, device=dev)
            xt = root_a[ts - 1, None] * x0 + root_n[ts - 1, None] * eps
            arg = (ts.float() / steps_k)[:, None] * freqs
            h = torch.cat([xt, torch.stack([arg.sin(), arg.cos()], 2).reshape(batch, f)], 1)
            for l in range(layers):
                h = F.silu(torch.addmm(w[2 * l + 1], h, w[2 * l]))
            train_step(F.mse_loss(torch.addmm(w[-1], h, w[-2]), eps), params, opt, 5.0)

    return fit

def train_step(loss, params, opt, clip):  # Training.run's step: loss check, backward, AdamW
    if not math.isfinite(loss.item()):
        sys.exit("torch-anchor.py: the training loss is not finite")
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    opt.zero_grad()

def clock(dev):
    if dev == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()

def median(body, repeats, dev, per=1):  # median seconds of `repeats` calls, each / `per`
    times = []
    for _ in range(repeats):
        t0 = clock(dev)
        body()
        times.append((clock(dev) - t0) / per)
    return statistics.median(times)

def median_steps(step, runs, dev):  # 2 warm-up steps, then the median of `runs`
    step(), step()
    return median(step, runs, dev)

def median_fits(fit, runs, dev):  # a warm-up fit of 2 steps, then 3 fits of `runs`, per step
    fit(2)
    return median(lambda: fit(runs), 3, dev, runs)

def main():
    global torch, F
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="small")
    ap.add_argument("--runs", type=int, default=10, help="timed steps per measurement (default 10)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--sgemm-size", type=int, default=512)
    ap.add_argument("--attention", choices=["math", "sdpa"], default="math",
                    help="math: the Swift model's full masked T x T products (default); sdpa: PyTorch's fused kernel")
    a = ap.parse_args()
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    try:
        import torch as _torch
        import torch.nn.functional as _F
    except ImportError:
        sys.exit("torch-anchor.py needs PyTorch (pip install torch); nothing was measured")
    torch, F, dev = _torch, _F, a.device
    if dev == "cuda" and not torch.cuda.is_available():
        sys.exit("torch-anchor.py: --device cuda, but PyTorch sees no CUDA device")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lm, vae, diffusion = PRESETS[a.preset]
    print(f"torch {torch.__version__} device={dev} threads={torch.get_num_threads()} preset={a.preset} "
          f"runs={a.runs} attention={a.attention} (scripts/torch-anchor.py)", flush=True)

    def line(name, seconds, flops, unit, note):
        print(f"{name}\t{dev}\t{seconds * 1e3:.3f} ms{unit}\t{flops / 1e9:.4f} GFLOP{unit}\t"
              f"{flops / seconds / 1e9:.2f} GFLOP/s\t{note}", flush=True)

    n, peak_runs = a.sgemm_size, max(5, a.runs)
    x, y = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    out = torch.empty(n, n, device=dev)
    s = median_steps(lambda: torch.mm(x, y, out=out), peak_runs, dev)
    line(f"sgemm {n}^3", s, 2 * n ** 3, "", f"median of {peak_runs} products")
    step, count = lm_step(*lm, dev, a.attention == "sdpa")
    t, d, h, layers, b = lm
    line(f"lm-{a.preset} (T={t} D={d} H={h} L={layers} B={b}, {count} parameters, attention {a.attention})",
         median_steps(step, a.runs, dev), lm_flops(*lm), "/step", f"median of {a.runs} steps")
    fits = f"median of 3 fits of {a.runs} steps"
    hd, k, b = vae[:3]
    line(f"vae-{a.preset} ({IMAGE}-{hd}-({k},{k})-{hd}-{IMAGE}, B={b})", median_fits(vae_fit(*vae, dev), a.runs, dev),
         vae_flops(*vae), "/step", fits)
    hd, layers, steps_k, b = diffusion[:4]
    line(f"diffusion-{a.preset} ({COORDS}+{TIME_FEATURES}-{hd}x{layers}-{COORDS}, K={steps_k}, B={b})",
         median_fits(diffusion_fit(*diffusion, dev), a.runs, dev), diffusion_flops(*diffusion), "/step", fits)

if __name__ == "__main__":
    main()
