"""The PyTorch side of `bench/compare-pytorch.sh`: the networks and training step of burn-gan's
benchmark presets, written layer for layer as in model-zoo/src/dcgan.rs and model-zoo/src/gan.rs,
timed exactly as `burn-gan bench` times them (model-zoo/src/bench.rs).

- DCGAN (Radford et al. 2015) as burn-gan builds it: G = Linear(z, top*s*s) -> BatchNorm1d ->
  ReLU -> reshape [top, s, s] -> (ConvTranspose(k4, s2, p1) -> BatchNorm2d -> ReLU)* ->
  ConvTranspose(k4, s2, p1) -> tanh; D = Conv(k4, s2, p1) -> LReLU(0.2) -> (Conv -> BatchNorm2d ->
  LReLU(0.2))* -> flatten -> Linear(top*s*s, 1). Every weight and bias of the linear and
  convolution layers from N(0, 0.02), batch norm gain 1 and bias 0 (burn's defaults, momentum 0.1,
  eps 1e-5). dcgan28: top 128, s 7; dcgan32: top 256, s 4; dcgan64: top 512, s 4.
- One training step = a discriminator phase (G's forward without gradients on fresh noise, D on
  the real and the fake batch, loss mean softplus(-D(x)) + mean softplus(D(G(z))), backward, Adam
  step on D) and a generator phase (fresh noise, loss mean softplus(-D(G(z))), backward through D
  into G, Adam step on G); Adam(2e-4, betas (0.5, 0.999), eps 1e-8) per network; each phase reads
  its loss and mean D outputs back as numbers, as burn-gan's training loop does. Like burn-gan, the
  generator phase freezes D's parameters (gradients flow through D, no weight gradients for D).
- Sampling: G in eval mode (running batch-norm statistics) under torch.inference_mode, batch 256.
- New noise and new real batches (uniform in [-1, 1]) every iteration; warm-up iterations are not
  timed; timing runs until both --min-iters and --seconds are reached.
- Peak resident memory: VmHWM after resetting it through /proc/self/clear_refs (Linux).

Prints one JSON object with the same keys as `burn-gan bench --json`.
"""

import argparse
import json
import os
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def levels(image_size):
    side, n = image_size, 0
    while side > 7 and side % 2 == 0:
        side //= 2
        n += 1
    return n, side


def normal_init(module):
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.normal_(m.bias, 0.0, 0.02)


class DcganGenerator(nn.Module):
    def __init__(self, latent, channels, image_size, base=64):
        super().__init__()
        n, side = levels(image_size)
        top = base << (n - 1)
        self.top, self.side = top, side
        self.project = nn.Linear(latent, top * side * side)
        self.project_norm = nn.BatchNorm1d(top * side * side)
        widths = [top >> l for l in range(n)]
        layers = []
        for l in range(n):
            out = channels if l + 1 == n else widths[l + 1]
            layers.append(nn.ConvTranspose2d(widths[l], out, 4, 2, 1))
            layers.append(nn.BatchNorm2d(out) if l + 1 < n else None)
        self.convs = nn.ModuleList([m for m in layers[0::2]])
        self.norms = nn.ModuleList([m for m in layers[1::2] if m is not None])
        normal_init(self)

    def forward(self, z):
        x = F.relu(self.project_norm(self.project(z)))
        x = x.view(z.shape[0], self.top, self.side, self.side)
        for l, conv in enumerate(self.convs):
            x = conv(x)
            x = F.relu(self.norms[l](x)) if l < len(self.norms) else torch.tanh(x)
        return x


class DcganDiscriminator(nn.Module):
    def __init__(self, channels, image_size, base=64):
        super().__init__()
        n, side = levels(image_size)
        top = base << (n - 1)
        convs, norms, inp = [], [], channels
        for l in range(n):
            out = base << l
            convs.append(nn.Conv2d(inp, out, 4, 2, 1))
            if l > 0:
                norms.append(nn.BatchNorm2d(out))
            inp = out
        self.convs, self.norms = nn.ModuleList(convs), nn.ModuleList(norms)
        self.head = nn.Linear(top * side * side, 1)
        normal_init(self)

    def forward(self, x):
        for l, conv in enumerate(self.convs):
            x = conv(x)
            if l > 0:
                x = self.norms[l - 1](x)
            x = F.leaky_relu(x, 0.2)
        return self.head(x.flatten(1))


class Maxout(nn.Module):
    def __init__(self, inp, out, pieces):
        super().__init__()
        self.out, self.pieces = out, pieces
        self.linear = nn.Linear(inp, out * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.out, self.pieces).amax(dim=2)


def models(name):
    """(generator, discriminator, image shape) of a burn-gan benchmark preset."""
    if name in ("dcgan28", "dcgan32", "dcgan64"):
        c, s = {"dcgan28": (1, 28), "dcgan32": (3, 32), "dcgan64": (3, 64)}[name]
        return DcganGenerator(100, c, s), DcganDiscriminator(c, s), (c, s, s)
    if name == "gan-mnist":
        # model-zoo/src/gan.rs, GanConfig::mnist(): 1200-1200 ReLU G with a tanh output,
        # D of two maxout layers (240 units x 5 pieces) with dropout 0.2, then a linear logit (PyTorch default initialisation here).
        g = nn.Sequential(
            nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
            nn.Linear(1200, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
        d = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.2),
            Maxout(240, 240, 5), nn.Dropout(0.2), nn.Linear(240, 1))
        return g, d, (1, 28, 28)
    raise SystemExit(f"error: unknown benchmark model `{name}`")


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def timing(args, fn):
    for _ in range(args.warmup):
        fn()
    samples, started = [], time.perf_counter()
    while len(samples) < max(args.min_iters, 1) or time.perf_counter() - started < args.seconds:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    total = sum(samples)
    samples.sort()
    return {"iters": len(samples), "seconds": total, "median_s": samples[len(samples) // 2],
            "min_s": samples[0]}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(name, args, device):
    torch.manual_seed(1)
    g, d, image = models(name)
    g, d = g.to(device), d.to(device)
    params = sum(p.numel() for p in g.parameters()) + sum(p.numel() for p in d.parameters())
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    n, latent = args.batch, 100

    def step():
        real = torch.rand((n,) + image, device=device) * 2 - 1
        # Discriminator phase.
        z = torch.randn(n, latent, device=device)
        with torch.no_grad():
            fake = g(z)
        real_logits, fake_logits = d(real), d(fake)
        loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        stats = [loss_d.item(), torch.sigmoid(real_logits.detach()).mean().item(),
                 torch.sigmoid(fake_logits.detach()).mean().item()]
        # Generator phase: D's parameters are frozen (no weight gradients), as in burn-gan's
        # train_step; the gradient flows through D to G.
        z = torch.randn(n, latent, device=device)
        for p in d.parameters():
            p.requires_grad_(False)
        loss_g = F.softplus(-d(g(z))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)
        stats.append(loss_g.item())
        assert all(map(lambda v: v == v and abs(v) != float("inf"), stats)), stats

    g.train()
    d.train()
    reset_peak_rss()
    train = timing(args, step)
    train_rss = peak_rss_mib()

    g.eval()

    def sample():
        with torch.inference_mode():
            z = torch.randn(args.sample_batch, latent, device=device)
            images = g(z).cpu()
        assert images.numel() == args.sample_batch * image[0] * image[1] * image[2]

    reset_peak_rss()
    sampled = timing(args, sample)
    sample_rss = peak_rss_mib()
    return {
        "model": name, "image": list(image), "params": params, "batch": n,
        "train_images_per_s": n * train["iters"] / train["seconds"], "train": train,
        "train_peak_rss_mib": train_rss if device.type == "cpu" else None,
        "sample_batch": args.sample_batch,
        "sample_images_per_s": args.sample_batch * sampled["iters"] / sampled["seconds"],
        "sample": sampled, "sample_peak_rss_mib": sample_rss if device.type == "cpu" else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="dcgan28,dcgan64")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--sample-batch", type=int, default=256)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--min-iters", type=int, default=3)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    out = {
        "tool": "pytorch", "backend": f"torch-{device.type}-eager", "threads": torch.get_num_threads(),
        "torch": torch.__version__, "python": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "mkldnn": torch.backends.mkldnn.is_available(),
    }
    for name in args.models.split(","):
        out[name] = bench(name.strip(), args, device)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
