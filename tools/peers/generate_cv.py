#!/usr/bin/python3
"""The peer of `augsplit generate` for issue 14's speed comparison.

What a careful user would write with OpenCV and NumPy instead of augsplit, doing
the same work on the same sources: each source is read once per worker and
resized to SIZE (Lanczos, as generate --size), then every variant is rotated
by a uniform angle in [0, 360) about the centre (warpAffine, bilinear,
BORDER_REFLECT_101), flipped left-right and top-bottom with probability 1/2
each, given Gaussian noise with sigma uniform in [0, 8] and written with
cv2.imwrite at PNG compression level 1. Each variant has its own generator
seeded by (seed, source, variant), so the output does not depend on the pool,
as augsplit's does not.

The noise is the fastest way we found to write it, so that the peer is not a
straw man: cv2.randn into float32 and cv2.add saturating to uint8 took 0.7 ms
at 512 px, where NumPy's standard_normal (float32) and cv2.add took 2.8 ms,
the same with an in-place np.clip 3.1 ms, and the textbook
np.clip(img + noise, 0, 255).astype(np.uint8) 12 ms.

A multiprocessing pool of WORKERS processes does the work; each worker runs
OpenCV single-threaded (the pool is the parallelism, as augsplit's workers
are). tools/benchrun runs this with /usr/bin/python3 and reads the CPU time of
the whole process tree from rusage.

    /usr/bin/python3 tools/peers/generate_cv.py --in testdata/cells --out OUT \
        --size 512 --per-source 300 --workers 2
"""

import argparse
import multiprocessing
import os
import sys

import cv2
import numpy as np

_cache = {}
_args = None


def _init(args):
    global _args
    _args = args
    cv2.setNumThreads(1)


def _source(path):
    img = _cache.get(path)
    if img is None:
        img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise SystemExit(f"generate_cv: cannot read {path}")
        s = _args.size
        if s and img.shape != (s, s):
            img = cv2.resize(img, (s, s), interpolation=cv2.INTER_LANCZOS4)
        _cache[path] = img
    return img


def _variant(task):
    si, path, cls, stem, variant = task
    img = _source(path)
    rng = np.random.default_rng((_args.seed, si, variant))
    h, w = img.shape
    angle = rng.uniform(0.0, 360.0)
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    hflip = rng.random() < 0.5
    vflip = rng.random() < 0.5
    if hflip and vflip:
        out = cv2.flip(out, -1)
    elif hflip:
        out = cv2.flip(out, 1)
    elif vflip:
        out = cv2.flip(out, 0)
    sigma = rng.uniform(0.0, 8.0)
    noise = np.empty(out.shape, np.float32)
    cv2.setRNGSeed(int(rng.integers(1 << 31)))
    cv2.randn(noise, 0.0, sigma)
    out = cv2.add(out, noise, dtype=cv2.CV_8U)  # rounds and saturates
    name = os.path.join(_args.out, cls, f"{cls}_{stem}_{variant:04d}.png")
    if not cv2.imwrite(name, out, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise SystemExit(f"generate_cv: cannot write {name}")
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--in", dest="src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--per-source", type=int, default=300)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    tasks = []
    classes = sorted(d for d in os.listdir(args.src) if os.path.isdir(os.path.join(args.src, d)))
    si = 0
    for cls in classes:
        os.makedirs(os.path.join(args.out, cls), exist_ok=True)
        for f in sorted(os.listdir(os.path.join(args.src, cls))):
            if f.startswith("."):
                continue
            stem = os.path.splitext(f)[0]
            path = os.path.join(args.src, cls, f)
            tasks.extend((si, path, cls, stem, v) for v in range(args.per_source))
            si += 1
    # Tasks are grouped by source, so a chunk mostly hits one cached source.
    pool = multiprocessing.Pool(args.workers, initializer=_init, initargs=(args,))
    n = sum(pool.imap_unordered(_variant, tasks, chunksize=64))
    pool.close()
    pool.join()
    print(f"generate_cv: wrote {n} images", file=sys.stderr)


if __name__ == "__main__":
    main()
