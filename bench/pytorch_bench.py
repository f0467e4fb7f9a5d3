"""The PyTorch side of `bench/compare-pytorch.sh`: the networks and training steps of burn-gan's
benchmark presets, written layer for layer as in model-zoo/src/dcgan/mod.rs, model-zoo/src/gan/mod.rs,
model-zoo/src/pix2pix.rs, model-zoo/src/cyclegan/ and model-zoo/src/srgan/, timed exactly as
`burn-gan bench` times them (model-zoo/src/bench.rs).

Noise-to-image GANs:
- DCGAN (Radford et al. 2015) as burn-gan builds it: G = Linear(z, top*s*s) -> BatchNorm1d ->
  ReLU -> reshape [top, s, s] -> (ConvTranspose(k4, s2, p1) -> BatchNorm2d -> ReLU)* ->
  ConvTranspose(k4, s2, p1) -> tanh; D = Conv(k4, s2, p1) -> LReLU(0.2) -> (Conv -> BatchNorm2d ->
  LReLU(0.2))* -> flatten -> Linear(top*s*s, 1). Every weight and bias of the linear and
  convolution layers from N(0, 0.02), batch norm gain 1 and bias 0 (burn's defaults, momentum 0.1,
  eps 1e-5). dcgan28: top 128, s 7; dcgan32: top 256, s 4; dcgan64: top 512, s 4.
- gan-mnist: GanConfig::mnist(), a 1200-1200 ReLU G with a tanh output and a D of two maxout
  layers (240 units x 5 pieces) with dropout 0.2, then a linear logit.
- One training step = a discriminator phase (G's forward without gradients on fresh noise, D on
  the real and the fake batch, loss mean softplus(-D(x)) + mean softplus(D(G(z))), backward, Adam
  step on D) and a generator phase (fresh noise, loss mean softplus(-D(G(z))), backward through D
  into G, Adam step on G); Adam(2e-4, betas (0.5, 0.999), eps 1e-8) per network. Sampling: G on
  fresh N(0, 1) noise of 100 dimensions.

Image-to-image models (28x28 gray images; the inputs of every phase are random images, uniform in
[-1, 1], of the task's input shape; the sampled images are the generator's translations of random
inputs):
- pix2pix28 (Pix2PixConfig::new(1): features 32, depth 2, patch_layers 2, L1 weight 100): G is a
  U-Net: Conv(1->32, k4, s2, p1) -> LReLU(0.2) [32, 14, 14], Conv(32->64, k4, s2, p1) ->
  BatchNorm2d -> LReLU(0.2) [64, 7, 7]; ConvTranspose(64->32, k4, s2, p1) -> BatchNorm2d -> ReLU,
  concatenated with the first level's maps [64, 14, 14]; ConvTranspose(64->32, k4, s2, p1) ->
  BatchNorm2d -> ReLU, concatenated with the input [33, 28, 28]; Conv(33->1, k3, p1) -> tanh.
  D is the PatchGAN of model-zoo/src/restore/mod.rs on (input, image) pairs concatenated along
  the channels: Conv(2->32, k4, s2, p1) -> LReLU(0.2) -> Conv(32->64, k4, s2, p1) -> LReLU(0.2) ->
  Conv(64->1, k4, s1, p1), one logit per patch (6x6), no normalisation. A step: the
  discriminator phase on a fresh batch of (input, target) pairs (G's forward with G frozen, loss
  mean softplus(-D(x, y)) + mean softplus(D(x, G(x)))), then the generator phase on the same
  batch (loss 100 * mean |G(x) - y| + mean softplus(-D(x, G(x))), D frozen, gradient through D).
  Adam(2e-4, betas (0.5, 0.999)) for each network. Sampling: G on random 1x28x28 edge maps.
- cyclegan28 (CycleganConfig::new(1, 28, 28): features 32, 3 blocks, patch_layers 2, pool 50):
  two ResNet generators G: A -> B and F: B -> A, each ReflectionPad(3) -> Conv(1->32, k7) ->
  IN -> ReLU, Conv(32->64, k3, s2, p1) -> IN -> ReLU, Conv(64->128, k3, s2, p1) -> IN -> ReLU,
  3 residual blocks x + IN(Conv(ReLU(IN(Conv(x))))) (reflection-padded 3x3 convolutions, 128
  maps, 7x7), ConvTranspose(128->64, k3, s2, p1, output padding 1) -> IN -> ReLU,
  ConvTranspose(64->32, ...) -> IN -> ReLU, ReflectionPad(3) -> Conv(32->1, k7) -> tanh (IN:
  InstanceNorm2d without affine parameters or running statistics); two PatchGANs D_A, D_B judging
  one image each: Conv(1->32, k4, s2, p1) -> LReLU(0.2) -> Conv(32->64, k4, s2, p1) -> LReLU(0.2)
  -> Conv(64->1, k4, s1, p1). A step: the generator phase on a fresh batch of each domain (loss:
  least squares mean (D_B(G(a)) - 1)^2 + mean (D_A(F(b)) - 1)^2, plus 10 * the cycle L1 (mean
  |F(G(a)) - a| + mean |G(F(b)) - b|), plus 5 * the identity L1 (mean |G(b) - b| + mean
  |F(a) - a|); both discriminators frozen; one Adam over both generators), then the discriminator
  phase on the same images (both generators frozen translate them again; each fake batch goes
  through its domain's image pool of 50: filled first, then per image with probability 1/2 a stored
  image is returned and the new one takes its slot; loss 1/2 (mean (D(real) - 1)^2 + mean
  D(fake)^2) per domain; one Adam over both discriminators). Adam(2e-4, betas (0.5, 0.999)).
  Sampling: G (A -> B) on random 1x28x28 images.
- srgan28 (SrganConfig::new(1) with pretrain_steps 0: features 32, 4 blocks, x4, content
  `fashion`): G is SRResNet: Conv(1->32, k9, p4) -> PReLU; 4 blocks x + BN(Conv(PReLU(BN(Conv(x)))))
  (3x3, p1); BN(Conv(32->32, k3, p1)) + the head's maps; twice Conv(32->128, k3, p1) ->
  PixelShuffle(2) -> PReLU; Conv(32->1, k9, p4) -> tanh (PReLU of one slope, BN BatchNorm2d).
  D is VGG-style: six Conv(k3, p1) of strides 1, 2, 1, 2, 1, 2 and maps 32, 32, 64, 64, 128, 128,
  BatchNorm2d after all but the first, LReLU(0.2) after each; the mean over the 4x4 maps,
  Linear(128, 256) -> LReLU(0.2) -> Linear(256, 1). The content network is the domain classifier
  of src/metrics/classifier.rs (a LeNet: Conv(1->16, k5, p2), ReLU, MaxPool 2, Conv(16->32, k5, p2),
  ReLU, then Linear(1568, 128), Linear(128, 10) that the content loss does not use); its weights
  are fixed (no gradients of its own, random here: only the timing matters) and the content loss
  compares its conv maps [32, 14, 14] of (x + 1) * 127.5 (the classifier maps 0..255 back to
  [-1, 1]). A step: the discriminator phase on a fresh batch of (1x7x7 input, 1x28x28 target)
  (G frozen, loss mean softplus(-D(y)) + mean softplus(D(G(x)))), then the generator phase on
  the same batch (loss the content MSE of the classifier's maps + 1e-3 * mean softplus(-D(G(x)));
  the pixel MSE is computed as a statistic; D frozen, gradients through D and the classifier).
  Adam(1e-4, betas (0.9, 0.999)) for each network. Sampling: G on random 1x7x7 images.

For every model:
- Each phase is a forward, a backward and one Adam step (eps 1e-8) of that phase's network only:
  as burn-gan's train_step, the other networks' parameters are frozen (gradients flow through
  them, no weight gradients for them). Each phase reads its loss and statistics back as numbers.
- Batch norm in training mode during the training steps (batch statistics, running averages
  updated, also in the frozen network's forward), in eval mode (running statistics) for sampling,
  which runs under torch.inference_mode, batch 256.
- New noise and new real batches (uniform in [-1, 1]) every iteration; warm-up iterations are not
  timed; timing runs until both --min-iters and --seconds are reached.
- params counts what burn's `num_params` counts: every parameter (trainable or fixed, so SRGAN's
  content classifier too) and every running state (batch-norm running mean and variance,
  CycleGAN's image pools and their fill counts); PyTorch's num_batches_tracked counters, which
  burn has not, are left out.
- Peak resident memory: VmHWM after resetting it through /proc/self/clear_refs (Linux).

Prints one JSON object with the same keys as `burn-gan bench --json`.
"""

import argparse
import contextlib
import json
import math
import os
import platform
import random
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


def random_images(n, shape, device):
    """`n` images of `shape` with values uniform in [-1, 1), as bench.rs's `random_images`."""
    return torch.rand((n,) + tuple(shape), device=device) * 2 - 1


@contextlib.contextmanager
def frozen(*modules):
    """The parameters of `modules` without gradients for the duration of a phase (burn-gan's
    `freeze_others`): gradients flow through these networks, none is computed for their weights.
    Parameters that are fixed anyway (SRGAN's content classifier) stay fixed."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def phase(optimizer, others, loss_and_stats):
    """One training phase: forward (`loss_and_stats()`, the other networks frozen), backward, one
    optimizer step; returns the loss and the statistics read back as numbers."""
    with frozen(*others):
        loss, stats = loss_and_stats()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return [loss.item()] + [s.detach().item() for s in stats]


def adam(params, lr, betas):
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)


class NoiseGan(nn.Module):
    """A noise-to-image GAN (dcgan*, gan-mnist): its generator, discriminator and training step."""

    def __init__(self, g, d, image, latent=100):
        super().__init__()
        self.g, self.d, self.image, self.latent = g, d, image, latent

    def optimizers(self):
        return {"generator": adam(self.g.parameters(), 2e-4, (0.5, 0.999)),
                "discriminator": adam(self.d.parameters(), 2e-4, (0.5, 0.999))}

    def step(self, opts, n, device):
        g, d, latent = self.g, self.d, self.latent
        real = torch.rand((n,) + self.image, device=device) * 2 - 1
        # Discriminator phase.
        z = torch.randn(n, latent, device=device)
        with torch.no_grad():
            fake = g(z)
        real_logits, fake_logits = d(real), d(fake)
        loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        opts["discriminator"].zero_grad(set_to_none=True)
        loss_d.backward()
        opts["discriminator"].step()
        stats = [loss_d.item(), torch.sigmoid(real_logits.detach()).mean().item(),
                 torch.sigmoid(fake_logits.detach()).mean().item()]
        # Generator phase: D's parameters are frozen (no weight gradients), as in burn-gan's
        # train_step; the gradient flows through D to G.
        z = torch.randn(n, latent, device=device)
        with frozen(d):
            loss_g = F.softplus(-d(g(z))).mean()
            opts["generator"].zero_grad(set_to_none=True)
            loss_g.backward()
            opts["generator"].step()
        stats.append(loss_g.item())
        return stats

    def sample_input(self, n, device):
        return torch.randn(n, self.latent, device=device)

    def generate(self, z):
        return self.g(z)


# ---- pix2pix (model-zoo/src/pix2pix.rs) and the PatchGAN (model-zoo/src/restore/mod.rs) ----

class PatchDiscriminator(nn.Module):
    """Stride-2 4x4 convolutions with LeakyReLU(0.2), then a stride-1 4x4 convolution to one logit
    per patch; no normalisation."""

    def __init__(self, inp, features, layers):
        super().__init__()
        convs, width = [], inp
        for l in range(layers):
            out = features << l
            convs.append(nn.Conv2d(width, out, 4, 2, 1))
            width = out
        self.convs = nn.ModuleList(convs)
        self.logits = nn.Conv2d(width, 1, 4, 1, 1)

    def forward(self, inp, candidate):
        """The patch logits of (input, candidate) pairs, [n, patches]."""
        return self.judge(torch.cat([inp, candidate], 1))

    def judge(self, x):
        """The patch logits of images judged alone (CycleGAN's discriminators), [n, patches]."""
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return self.logits(x).flatten(1)


class UNet(nn.Module):
    def __init__(self, channels, features=32, depth=2, inp=1):
        super().__init__()
        f, d = features, depth
        level = lambda l: f << (l - 1)  # channels of encoder level l (1-based)
        self.down = nn.ModuleList([
            nn.Conv2d(inp if l == 1 else level(l - 1), level(l), 4, 2, 1) for l in range(1, d + 1)])
        self.down_norms = nn.ModuleList([nn.BatchNorm2d(level(l)) for l in range(2, d + 1)])
        up, up_norms = [], []
        for l in reversed(range(d)):
            frm = level(d) if l == d - 1 else 2 * level(l + 1)
            to = f if l == 0 else level(l)
            up.append(nn.ConvTranspose2d(frm, to, 4, 2, 1))
            up_norms.append(nn.BatchNorm2d(to))
        self.up, self.up_norms = nn.ModuleList(up), nn.ModuleList(up_norms)
        self.out = nn.Conv2d(f + inp, channels, 3, 1, 1)

    def forward(self, x):
        skips, y = [], x
        for l, conv in enumerate(self.down):
            y = conv(y)
            if l > 0:
                y = self.down_norms[l - 1](y)
            y = F.leaky_relu(y, 0.2)
            skips.append(y)
        # The deepest maps start the decoder; the others join it at their size.
        skips.pop()
        for conv, norm in zip(self.up, self.up_norms):
            y = F.relu(norm(conv(y)))
            skip = skips.pop() if skips else x
            y = torch.cat([y, skip], 1)
        return torch.tanh(self.out(y))


class Pix2Pix(nn.Module):
    def __init__(self, channels=1, features=32, depth=2, patch_layers=2, l1_weight=100.0):
        super().__init__()
        self.image, self.input = (channels, 28, 28), (1, 28, 28)
        self.generator = UNet(channels, features, depth, 1)
        self.discriminator = PatchDiscriminator(1 + channels, features, patch_layers)
        self.l1_weight = l1_weight

    def optimizers(self):
        return {"generator": adam(self.generator.parameters(), 2e-4, (0.5, 0.999)),
                "discriminator": adam(self.discriminator.parameters(), 2e-4, (0.5, 0.999))}

    def step(self, opts, n, device):
        g, d = self.generator, self.discriminator
        target = random_images(n, self.image, device)
        x = random_images(n, self.input, device)

        def discriminator():
            fake = g(x)
            real_logits, fake_logits = d(x, target), d(x, fake.detach())
            loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
            return loss, [torch.sigmoid(real_logits.detach()).mean(),
                          torch.sigmoid(fake_logits.detach()).mean()]

        def generator():
            fake = g(x)
            l1 = (fake - target).abs().mean()
            adversarial = F.softplus(-d(x, fake)).mean()
            return l1 * self.l1_weight + adversarial, [l1, adversarial]

        stats = phase(opts["discriminator"], [g], discriminator)
        return stats + phase(opts["generator"], [d], generator)

    def sample_input(self, n, device):
        return random_images(n, self.input, device)

    def generate(self, x):
        return self.generator(x)


# ---- CycleGAN (model-zoo/src/cyclegan/mod.rs, pool.rs) ----

class ReflectConv(nn.Module):
    """A convolution that keeps the size, padded by reflection."""

    def __init__(self, frm, to, kernel):
        super().__init__()
        self.conv, self.pad = nn.Conv2d(frm, to, kernel), kernel // 2

    def forward(self, x):
        p = self.pad
        return self.conv(F.pad(x, (p, p, p, p), mode="reflect"))


class ResnetBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.first, self.second = ReflectConv(c, c, 3), ReflectConv(c, c, 3)
        self.norm = nn.InstanceNorm2d(c, affine=False)

    def forward(self, y):
        r = F.relu(self.norm(self.first(y)))
        return y + self.norm(self.second(r))


class ResnetGenerator(nn.Module):
    def __init__(self, channels, features=32, blocks=3):
        super().__init__()
        f = features
        self.head = ReflectConv(channels, f, 7)
        self.down = nn.ModuleList([nn.Conv2d(i, o, 3, 2, 1) for i, o in ((f, 2 * f), (2 * f, 4 * f))])
        self.blocks = nn.ModuleList([ResnetBlock(4 * f) for _ in range(blocks)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(i, o, 3, 2, 1, output_padding=1)
                                 for i, o in ((4 * f, 2 * f), (2 * f, f))])
        self.tail = ReflectConv(f, channels, 7)
        # Instance norms of the head, down and up layers, in that order (no parameters).
        self.norms = nn.ModuleList([nn.InstanceNorm2d(c, affine=False)
                                    for c in (f, 2 * f, 4 * f, 2 * f, f)])

    def forward(self, x):
        norms = iter(self.norms)
        y = F.relu(next(norms)(self.head(x)))
        for conv in self.down:
            y = F.relu(next(norms)(conv(y)))
        for block in self.blocks:
            y = block(y)
        for conv in self.up:
            y = F.relu(next(norms)(conv(y)))
        return torch.tanh(self.tail(y))


def pool_plan(size, filled, n, rng):
    """The reference's rule (pool.rs `pool_plan`): which images of [pool; new images] a query
    returns, which each slot holds afterwards, and how many slots are used."""
    slots, filled, returned = list(range(size)), min(filled, size), []
    for i in range(n):
        new = size + i
        if filled < size:
            slots[filled] = new
            filled += 1
            returned.append(new)
        elif size > 0 and rng.random() > 0.5:
            slot = rng.randrange(size)
            returned.append(slots[slot])
            slots[slot] = new
        else:
            returned.append(new)
    return returned, slots, filled


class ImagePool(nn.Module):
    """`size` generated images (running state, as burn's RunningState: counted in params)."""

    def __init__(self, size, shape):
        super().__init__()
        self.size, self.count = size, 0
        self.register_buffer("images", torch.zeros((max(size, 1),) + tuple(shape)))
        self.register_buffer("filled", torch.zeros(1))

    def query(self, fakes, rng):
        if self.size == 0:
            return fakes
        returned, slots, self.count = pool_plan(self.size, self.count, fakes.shape[0], rng)
        everything = torch.cat([self.images, fakes.detach()], 0)
        index = lambda i: torch.tensor(i, dtype=torch.long, device=fakes.device)
        out = everything.index_select(0, index(returned))
        self.images = everything.index_select(0, index(slots))
        self.filled.fill_(self.count)
        return out


class Cyclegan(nn.Module):
    def __init__(self, channels=1, size=28, features=32, blocks=3, patch_layers=2,
                 cycle_weight=10.0, identity_weight=0.5, pool_size=50):
        super().__init__()
        self.image = self.input = (channels, size, size)
        self.g_ab = ResnetGenerator(channels, features, blocks)
        self.g_ba = ResnetGenerator(channels, features, blocks)
        self.d_a = PatchDiscriminator(channels, features, patch_layers)
        self.d_b = PatchDiscriminator(channels, features, patch_layers)
        self.pool_a = ImagePool(pool_size, self.image)
        self.pool_b = ImagePool(pool_size, self.image)
        self.cycle_weight, self.identity_weight = cycle_weight, identity_weight
        self.rng = random.Random(7)

    def optimizers(self):
        # The reference's two optimizers: both generators in one, both discriminators in the other.
        return {"generator": adam(list(self.g_ab.parameters()) + list(self.g_ba.parameters()),
                                  2e-4, (0.5, 0.999)),
                "discriminator": adam(list(self.d_a.parameters()) + list(self.d_b.parameters()),
                                      2e-4, (0.5, 0.999))}

    def step(self, opts, n, device):
        g_ab, g_ba, d_a, d_b = self.g_ab, self.g_ba, self.d_a, self.d_b
        a = random_images(n, self.image, device)
        b = random_images(n, self.image, device)
        fool = lambda logits: (logits - 1).square().mean()
        least_squares = lambda real, fake: ((real - 1).square().mean() + fake.square().mean()) * 0.5

        def generators():
            fake_b, fake_a = g_ab(a), g_ba(b)
            adversarial = fool(d_b.judge(fake_b)) + fool(d_a.judge(fake_a))
            cycle = (g_ba(fake_b) - a).abs().mean() + (g_ab(fake_a) - b).abs().mean()
            identity = (g_ab(b) - b).abs().mean() + (g_ba(a) - a).abs().mean()
            loss = (adversarial + cycle * self.cycle_weight
                    + identity * (self.cycle_weight * self.identity_weight))
            return loss, [identity, adversarial, cycle]

        def discriminators():
            fake_b, fake_a = g_ab(a).detach(), g_ba(b).detach()
            fake_b = self.pool_b.query(fake_b, self.rng)
            fake_a = self.pool_a.query(fake_a, self.rng)
            real_b, fake_b = d_b.judge(b), d_b.judge(fake_b)
            real_a, fake_a = d_a.judge(a), d_a.judge(fake_a)
            loss = least_squares(real_b, fake_b) + least_squares(real_a, fake_a)
            return loss, [real_b.detach().mean(), fake_b.detach().mean()]

        stats = phase(opts["generator"], [d_a, d_b], generators)
        return stats + phase(opts["discriminator"], [g_ab, g_ba], discriminators)

    def sample_input(self, n, device):
        return random_images(n, self.input, device)

    def generate(self, x):
        return self.g_ab(x)


# ---- SRGAN (model-zoo/src/srgan/mod.rs) and the content classifier (src/metrics/classifier.rs) ----

class SrBlock(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.first, self.first_norm = nn.Conv2d(f, f, 3, 1, 1), nn.BatchNorm2d(f)
        self.act = nn.PReLU()
        self.second, self.second_norm = nn.Conv2d(f, f, 3, 1, 1), nn.BatchNorm2d(f)

    def forward(self, y):
        r = self.act(self.first_norm(self.first(y)))
        return y + self.second_norm(self.second(r))


class SrResnet(nn.Module):
    def __init__(self, channels=1, features=32, blocks=4, factor=4):
        super().__init__()
        c, f = channels, features
        self.head, self.head_act = nn.Conv2d(c, f, 9, 1, 4), nn.PReLU()
        self.blocks = nn.ModuleList([SrBlock(f) for _ in range(blocks)])
        self.body, self.body_norm = nn.Conv2d(f, f, 3, 1, 1), nn.BatchNorm2d(f)
        ups = int(math.log2(factor))
        self.up_convs = nn.ModuleList([nn.Conv2d(f, 4 * f, 3, 1, 1) for _ in range(ups)])
        self.up_acts = nn.ModuleList([nn.PReLU() for _ in range(ups)])
        self.tail = nn.Conv2d(f, c, 9, 1, 4)

    def forward(self, x):
        first = self.head_act(self.head(x))
        y = first
        for block in self.blocks:
            y = block(y)
        y = self.body_norm(self.body(y)) + first
        for conv, act in zip(self.up_convs, self.up_acts):
            y = act(F.pixel_shuffle(conv(y), 2))
        return torch.tanh(self.tail(y))


class SrDiscriminator(nn.Module):
    def __init__(self, channels=1, features=32):
        super().__init__()
        f = features
        layers = [(channels, f, 1), (f, f, 2), (f, 2 * f, 1), (2 * f, 2 * f, 2), (2 * f, 4 * f, 1),
                  (4 * f, 4 * f, 2)]
        self.convs = nn.ModuleList([nn.Conv2d(i, o, 3, s, 1) for i, o, s in layers])
        self.norms = nn.ModuleList([nn.BatchNorm2d(o) for _, o, _ in layers[1:]])
        self.dense, self.logit = nn.Linear(4 * f, 8 * f), nn.Linear(8 * f, 1)

    def forward(self, x):
        y = F.leaky_relu(self.convs[0](x), 0.2)
        for conv, norm in zip(self.convs[1:], self.norms):
            y = F.leaky_relu(norm(conv(y)), 0.2)
        pooled = y.mean(dim=3).mean(dim=2)
        return self.logit(F.leaky_relu(self.dense(pooled), 0.2))


class Classifier(nn.Module):
    """The LeNet-class domain classifier; fixed weights (random here: only the timing matters)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 16, 5, 1, 2), nn.Conv2d(16, 32, 5, 1, 2)
        self.hidden, self.output = nn.Linear(32 * 7 * 7, 128), nn.Linear(128, classes)
        for p in self.parameters():
            p.requires_grad_(False)

    def conv_features(self, pixels):
        """The second convolution's maps after its ReLU, [n, 32, 14, 14], of 0..255 pixels."""
        x = F.max_pool2d(F.relu(self.conv1(pixels / 127.5 - 1)), 2, 2)
        return F.relu(self.conv2(x))


class Srgan(nn.Module):
    def __init__(self, channels=1, features=32, blocks=4, content_weight=1.0,
                 adversarial_weight=1e-3):
        super().__init__()
        self.image, self.input = (channels, 28, 28), (channels, 7, 7)
        self.generator = SrResnet(channels, features, blocks, 4)
        self.discriminator = SrDiscriminator(channels, features)
        self.content = Classifier()
        self.content_weight, self.adversarial_weight = content_weight, adversarial_weight

    def optimizers(self):
        return {"generator": adam(self.generator.parameters(), 1e-4, (0.9, 0.999)),
                "discriminator": adam(self.discriminator.parameters(), 1e-4, (0.9, 0.999))}

    def content_loss(self, fake, real):
        def maps(x):
            h, w = x.shape[2], x.shape[3]
            top, left = (h - 28) // 2, (w - 28) // 2
            x = x[:, 0:1, top:top + 28, left:left + 28]
            return self.content.conv_features((x + 1) * 127.5)
        return (maps(fake) - maps(real).detach()).square().mean()

    def step(self, opts, n, device):
        g, d = self.generator, self.discriminator
        real = random_images(n, self.image, device)
        x = random_images(n, self.input, device)

        def discriminator():
            fake = g(x)
            d_real, d_fake = d(real), d(fake.detach())
            loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            return loss, [torch.sigmoid(d_real.detach()).mean(),
                          torch.sigmoid(d_fake.detach()).mean()]

        def generator():
            fake = g(x)
            mse = (fake - real).square().mean()
            content = self.content_loss(fake, real)
            adversarial = F.softplus(-d(fake)).mean()
            loss = content * self.content_weight + adversarial * self.adversarial_weight
            return loss, [mse, content, adversarial]

        stats = phase(opts["discriminator"], [g], discriminator)
        return stats + phase(opts["generator"], [d], generator)

    def sample_input(self, n, device):
        return random_images(n, self.input, device)

    def generate(self, x):
        return self.generator(x)


def models(name):
    """The model of a burn-gan benchmark preset: its networks, `image` (the generated shape),
    `optimizers()`, `step(optimizers, n, device)` (one training step, returning its statistics),
    `sample_input(n, device)` and `generate(inputs)`."""
    if name in ("dcgan28", "dcgan32", "dcgan64"):
        c, s = {"dcgan28": (1, 28), "dcgan32": (3, 32), "dcgan64": (3, 64)}[name]
        return NoiseGan(DcganGenerator(100, c, s), DcganDiscriminator(c, s), (c, s, s))
    if name == "gan-mnist":
        # model-zoo/src/gan/mod.rs, GanConfig::mnist(): 1200-1200 ReLU G with a tanh output,
        # D of two maxout layers (240 units x 5 pieces) with dropout 0.2, then a linear logit (PyTorch default initialisation here).
        g = nn.Sequential(
            nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
            nn.Linear(1200, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
        d = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.2),
            Maxout(240, 240, 5), nn.Dropout(0.2), nn.Linear(240, 1))
        return NoiseGan(g, d, (1, 28, 28))
    if name == "pix2pix28":
        return Pix2Pix(1)
    if name == "cyclegan28":
        return Cyclegan(1, 28)
    if name == "srgan28":
        return Srgan(1)
    raise SystemExit(f"error: unknown benchmark model `{name}`")


def num_params(model):
    """What burn's `Module::num_params` counts: every parameter, trainable or fixed, and every
    running state (batch-norm running statistics, image pools); PyTorch's num_batches_tracked
    counters have no burn counterpart."""
    return (sum(p.numel() for p in model.parameters())
            + sum(b.numel() for name, b in model.named_buffers()
                  if not name.endswith("num_batches_tracked")))


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
    model = models(name).to(device)
    params = num_params(model)
    if args.compile:
        # Each network compiled on its own (TorchInductor, default mode); the optimizers see the
        # same parameters. The first (untimed) iterations compile every variant a step meets:
        # training with and without weight gradients (a frozen network), and inference.
        for child, module in list(model.named_children()):
            setattr(model, child, torch.compile(module))
    opts = model.optimizers()
    image, n = model.image, args.batch

    def step():
        stats = model.step(opts, n, device)
        assert all(map(lambda v: v == v and abs(v) != float("inf"), stats)), stats

    model.train()
    reset_peak_rss()
    train = timing(args, step)
    train_rss = peak_rss_mib()

    model.eval()

    def sample():
        with torch.inference_mode():
            inputs = model.sample_input(args.sample_batch, device)
            images = model.generate(inputs).cpu()
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
    p.add_argument("--compile", action="store_true",
                   help="torch.compile each network (warm-up iterations compile; give --warmup 3 or more)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    out = {
        "tool": "pytorch", "backend": f"torch-{device.type}-{'compile' if args.compile else 'eager'}", "threads": torch.get_num_threads(),
        "torch": torch.__version__, "python": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "mkldnn": torch.backends.mkldnn.is_available(),
    }
    for name in args.models.split(","):
        out[name] = bench(name.strip(), args, device)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
