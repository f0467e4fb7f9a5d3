#!/usr/bin/env python3
"""Golden values for burn-gan's metric tests, from scipy and scikit-image.

    /path/to/venv/bin/pip install numpy scipy scikit-image mpmath
    /path/to/venv/bin/python tools/reference/metrics_golden.py

Writes tests/data/metrics-golden.json:
- `sqrtm`: pairs of random symmetric positive semi-definite matrices (some singular) with
  Tr sqrtm(S1 S2) from scipy.linalg.sqrtm (float64), which reference FID code uses, and the exact
  value from mpmath at 60 digits (sum of the square roots of the eigenvalues of S1 S2): on the
  singular pairs scipy is off by ~3e-7 relative to it;
- `image_quality`: image pairs with skimage.metrics.peak_signal_noise_ratio and
  structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False).
"""
import json
import os

import mpmath
import numpy as np
import scipy
import scipy.linalg
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
rng = np.random.default_rng(2026)


def spd(n, rank):
    a = rng.standard_normal((n, rank)) * rng.uniform(0.2, 2.0, size=rank)
    return a @ a.T / rank


sqrtm_cases = []
for n, r1, r2 in [(4, 4, 4), (12, 12, 12), (30, 30, 30), (30, 20, 25), (50, 50, 10)]:
    s1, s2 = spd(n, r1), spd(n, r2)
    root = scipy.linalg.sqrtm(s1 @ s2)
    mpmath.mp.dps = 60
    eigenvalues = mpmath.eig(mpmath.matrix(s1.tolist()) * mpmath.matrix(s2.tolist()), left=False, right=False)
    exact = sum(mpmath.sqrt(mpmath.re(e)) for e in eigenvalues if mpmath.re(e) > 0)
    sqrtm_cases.append({
        "n": n, "s1": s1.ravel().tolist(), "s2": s2.ravel().tolist(),
        "trace_sqrt": float(np.real(np.trace(root))), "trace_sqrt_exact": float(exact),
    })

image_cases = []
for channels, h, w, noise in [(1, 32, 32, 0.05), (1, 24, 40, 0.2), (3, 20, 28, 0.1)]:
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([0.5 + 0.4 * np.sin(x / (3.0 + c) + y / (5.0 + c)) for c in range(channels)])
    other = np.clip(base + noise * rng.standard_normal(base.shape), 0.0, 1.0)
    if channels == 1:
        psnr = peak_signal_noise_ratio(base[0], other[0], data_range=1.0)
        ssim = structural_similarity(base[0], other[0], data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    else:
        psnr = peak_signal_noise_ratio(base, other, data_range=1.0)
        ssim = structural_similarity(base, other, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=0)
    image_cases.append({"shape": [channels, h, w], "a": base.ravel().tolist(), "b": other.ravel().tolist(), "psnr": float(psnr), "ssim": float(ssim)})

out = {
    "source": f"tools/reference/metrics_golden.py: numpy {np.__version__}, scipy {scipy.__version__}, scikit-image {skimage.__version__}, mpmath {mpmath.__version__}",
    "sqrtm": sqrtm_cases,
    "image_quality": image_cases,
}
with open(os.path.join(ROOT, "tests", "data", "metrics-golden.json"), "w") as f:
    json.dump(out, f)
print("wrote tests/data/metrics-golden.json")
