"""PyTorch twin of model-zoo/examples/op_timing.rs: the same single operations of dcgan28's
largest layers, timed the same way (mean of 10 runs after a warm-up, input changed each run).

    python bench/op_timing.py --threads 2
"""
import argparse
import time

import torch
import torch.nn.functional as F


def timed(name, gflop, fn):
    fn(0.0)
    t = time.perf_counter()
    check = sum(fn(i * 1e-3) for i in range(10))
    ms = (time.perf_counter() - t) / 10 * 1e3
    rate = f"{gflop / ms * 1e3:6.1f} GFLOP/s" if gflop else ""
    print(f"{name:<44} {ms:8.2f} ms {rate}  (checksum {check:.3e})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    torch.set_num_threads(p.parse_args().threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    x, w = torch.rand(64, 128, 7, 7), torch.rand(128, 64, 4, 4)
    flop = 2 * 128 * 64 * 16 * 49 * 64 / 1e9
    timed("conv_transpose2d 128->64, 7->14, batch 64", flop,
          lambda e: F.conv_transpose2d(x + e, w, stride=2, padding=1).sum().item())
    x2, w2 = torch.rand(64, 64, 14, 14), torch.rand(128, 64, 4, 4)
    timed("conv2d 64->128, 14->7, batch 64", flop,
          lambda e: F.conv2d(x2 + e, w2, stride=2, padding=1).sum().item())
    a, b = torch.rand(3136, 128), torch.rand(128, 1024)
    timed("matmul [3136,128] x [128,1024]", flop, lambda e: ((a + e) @ b).sum().item())
    timed("permute [64,64,14,14] to NHWC (copy)", 0,
          lambda e: (x2 + e).permute(0, 2, 3, 1).contiguous().sum().item())
    timed("add [64,64,14,14]", 0, lambda e: (x2 + e + x2).sum().item())
    backward_ops()


def backward_ops():
    """Every convolution of one dcgan28 training step that is not a forward pass, as
    aten::convolution_backward computes it for autograd (one gradient at a time)."""
    big = 2 * 128 * 64 * 16 * 49 * 64 / 1e9
    small = 2 * 64 * 16 * 196 * 64 / 1e9
    bw = torch.ops.aten.convolution_backward

    def grad(dy, x, w, transposed, which):
        mask = [which == "input", which == "weight", False]
        out = bw(dy, x, w, None, [2, 2], [1, 1], [1, 1], transposed, [0, 0], 1, mask)
        return out[0] if which == "input" else out[1]

    # (layer, transposed, x, weight, output gradient, GFLOP, time the forward pass too)
    layers = [
        ("conv2d 64->128", False, (64, 64, 14, 14), (128, 64, 4, 4), (64, 128, 7, 7), big, False),
        ("conv2d 1->64", False, (64, 1, 28, 28), (64, 1, 4, 4), (64, 64, 14, 14), small, True),
        ("conv_transpose2d 128->64", True, (64, 128, 7, 7), (128, 64, 4, 4), (64, 64, 14, 14), big, False),
        ("conv_transpose2d 64->1", True, (64, 64, 14, 14), (64, 1, 4, 4), (64, 1, 28, 28), small, True),
    ]
    for layer, transposed, xs, ws, dys, gflop, forward in layers:
        x, w, dy = torch.rand(xs), torch.rand(ws), torch.rand(dys)
        timed(f"{layer} weight grad", gflop,
              lambda e: grad(dy, x + e, w, transposed, "weight").sum().item())
        timed(f"{layer} input grad", gflop,
              lambda e: grad(dy + e, x, w, transposed, "input").sum().item())
        if forward:
            op = F.conv_transpose2d if transposed else F.conv2d
            timed(f"{layer} forward", gflop,
                  lambda e: op(x + e, w, stride=2, padding=1).sum().item())


if __name__ == "__main__":
    main()
