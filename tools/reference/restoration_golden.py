#!/usr/bin/env python3
"""Golden values for burn-gan's restoration baselines, from scikit-image, scipy and Pillow.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy scikit-image
    /tmp/venv/bin/python tools/reference/restoration_golden.py

(Pillow comes with scikit-image.) Writes tests/data/restoration-golden.json, every image `[c, h, w]`
row-major on the [0, 1] scale, inputs generated here from a fixed seed:
- `bicubic`: PIL.Image.resize(BICUBIC) of a float ('F' mode) image, down (antialiased) and up;
- `box`: skimage.transform.downscale_local_mean;
- `median`: skimage.filters.median(footprint=ones((k, k)), mode='nearest');
- `blur`: scipy.ndimage.convolve(mode='reflect') with a normalised Gaussian PSF;
- `nl_means`: skimage.restoration.denoise_nl_means(fast_mode=True), gray and RGB;
- `wiener`: skimage.restoration.wiener(clip=False) of a blurred, noisy image.
"""
import json
import os

import numpy as np
import PIL
import scipy
import scipy.ndimage as ndi
import skimage
from PIL import Image
from skimage.filters import median
from skimage.restoration import denoise_nl_means, wiener
from skimage.transform import downscale_local_mean

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
rng = np.random.default_rng(26)


def picture(c, h, w, noise=0.05):
    """Smooth structure (a blob and stripes) plus a little noise, in [0, 1]."""
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for k in range(c):
        blob = np.exp(-((x - w * (0.3 + 0.2 * k)) ** 2 + (y - h * 0.5) ** 2) / (0.1 * h * w))
        stripes = 0.5 + 0.5 * np.sin(x / (2.0 + k) + y / 3.0)
        planes.append(0.6 * blob + 0.3 * stripes + noise * rng.standard_normal((h, w)))
    return np.clip(np.stack(planes), 0.0, 1.0)


def psf(sigma, size):
    g = np.exp(-((np.arange(size) - size // 2) ** 2) / (2 * sigma * sigma))
    k = np.outer(g, g)
    return k / k.sum()


def flat(a):
    return np.asarray(a, dtype=np.float64).ravel().tolist()


bicubic = []
for c, h, w, oh, ow in [(1, 28, 28, 14, 14), (1, 28, 28, 7, 7), (3, 20, 32, 5, 8), (1, 7, 7, 28, 28), (3, 10, 8, 20, 16), (1, 13, 9, 5, 4)]:
    img = picture(c, h, w).astype(np.float32)
    out = np.stack([np.asarray(Image.fromarray(p).resize((ow, oh), Image.Resampling.BICUBIC)) for p in img])
    bicubic.append({"shape": [c, h, w], "out_shape": [c, oh, ow], "image": flat(img), "expected": flat(out)})

box = []
for c, h, w, f in [(1, 28, 28, 2), (3, 16, 24, 4)]:
    img = picture(c, h, w)
    out = np.stack([downscale_local_mean(p, (f, f)) for p in img])
    box.append({"shape": [c, h, w], "factor": f, "image": flat(img), "expected": flat(out)})

medians = []
for c, h, w, k, sp in [(1, 28, 28, 3, 0.1), (3, 17, 23, 3, 0.05), (1, 20, 20, 5, 0.2)]:
    img = picture(c, h, w)
    hit = rng.random(img.shape) < sp
    img[hit] = rng.integers(0, 2, size=hit.sum())
    out = np.stack([median(p, footprint=np.ones((k, k)), mode="nearest") for p in img])
    medians.append({"shape": [c, h, w], "size": k, "image": flat(img), "expected": flat(out)})

blur = []
for c, h, w, sigma, size in [(1, 28, 28, 1.5, 9), (3, 16, 20, 1.0, 5)]:
    img = picture(c, h, w)
    k = psf(sigma, size)
    out = np.stack([ndi.convolve(p, k, mode="reflect") for p in img])
    blur.append({"shape": [c, h, w], "sigma": sigma, "size": size, "image": flat(img), "expected": flat(out)})

nl = []
for c, h, w, noise, patch, dist, hh, sigma in [
    (1, 28, 28, 0.1, 7, 11, 0.08, 0.1),
    (1, 24, 30, 0.2, 5, 6, 0.1, 0.0),
    (3, 20, 24, 0.1, 3, 4, 0.15, 0.05),
]:
    img = picture(c, h, w, noise=0.0) + noise * rng.standard_normal((c, h, w))
    if c == 1:
        out = denoise_nl_means(img[0], patch_size=patch, patch_distance=dist, h=hh, sigma=sigma, fast_mode=True)[None]
    else:
        out = denoise_nl_means(np.moveaxis(img, 0, -1), patch_size=patch, patch_distance=dist, h=hh, sigma=sigma, fast_mode=True, channel_axis=-1)
        out = np.moveaxis(out, -1, 0)
    nl.append({"shape": [c, h, w], "patch_size": patch, "patch_distance": dist, "h": hh, "sigma": sigma, "image": flat(img), "expected": flat(out)})

wien = []
for c, h, w, sigma, size, noise, balance in [(1, 28, 28, 1.5, 9, 0.01, 0.01), (1, 24, 32, 1.0, 5, 0.02, 0.1), (3, 16, 16, 1.5, 9, 0.0, 0.003)]:
    clean = picture(c, h, w)
    k = psf(sigma, size)
    img = np.stack([ndi.convolve(p, k, mode="reflect") for p in clean]) + noise * rng.standard_normal((c, h, w))
    out = np.stack([wiener(p, k, balance, clip=False) for p in img])
    wien.append({"shape": [c, h, w], "psf": flat(k), "size": size, "balance": balance, "image": flat(img), "expected": flat(out)})

out = {
    "source": f"tools/reference/restoration_golden.py: numpy {np.__version__}, scipy {scipy.__version__}, scikit-image {skimage.__version__}, Pillow {PIL.__version__}",
    "bicubic": bicubic,
    "box": box,
    "median": medians,
    "blur": blur,
    "nl_means": nl,
    "wiener": wien,
}
with open(os.path.join(ROOT, "tests", "data", "restoration-golden.json"), "w") as f:
    json.dump(out, f)
print("wrote tests/data/restoration-golden.json")
