#!/usr/bin/env python3
"""Read an augsplit output folder's WebDataset and TFRecord shards with
nothing but Python's standard library, the way a PyTorch or TensorFlow user's
own code would, and check them against manifest.jsonl and dataset.json.

usage: interop.py OUT

Checks: tar members of a sample are adjacent and keys are unique across
shards; .cls holds the class index; .json names the class; every TFRecord
frame's length and data CRC32C (masked) are right; each Example's
image/class/label and image/class/text match the manifest; per split counts
and classes match the manifest; shard sizes and sha256 match the card.
Exit 0 when all holds, 1 naming the first problem.
"""

import glob
import hashlib
import json
import os
import struct
import sys
import tarfile


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = _table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class Problem(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Problem(msg)


def varint(b, i):
    x = shift = 0
    while True:
        check(i < len(b), "truncated varint")
        c = b[i]
        i += 1
        x |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return x, i


def fields(b):
    """Yield (field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(b):
        tag, i = varint(b, i)
        num, wt = tag >> 3, tag & 7
        if wt == 2:
            n, i = varint(b, i)
            check(i + n <= len(b), "truncated length-delimited field")
            yield num, wt, b[i:i + n]
            i += n
        elif wt == 0:
            v, i = varint(b, i)
            yield num, wt, v
        elif wt == 5:
            yield num, wt, b[i:i + 4]
            i += 4
        elif wt == 1:
            yield num, wt, b[i:i + 8]
            i += 8
        else:
            raise Problem("unsupported wire type %d" % wt)


def parse_example(b):
    """tf.train.Example -> {key: ("bytes"|"float"|"int64", [values])}."""
    out = {}
    for num, _, features in fields(b):
        check(num == 1, "Example field %d, want features=1" % num)
        for fnum, _, entry in fields(features):
            check(fnum == 1, "Features field %d, want feature=1" % fnum)
            key, feature = None, b""
            for enum, _, v in fields(entry):
                if enum == 1:
                    key = v.decode("utf-8")
                elif enum == 2:
                    feature = v
            for knum, _, lst in fields(feature):
                if knum == 1:
                    out[key] = ("bytes", [v for _, _, v in fields(lst)])
                elif knum == 3:
                    vals = []
                    for _, wt, v in fields(lst):
                        if wt == 0:
                            vals.append(v)
                        else:  # packed
                            i = 0
                            while i < len(v):
                                x, i = varint(v, i)
                                vals.append(x - (1 << 64) if x >= 1 << 63 else x)
                    out[key] = ("int64", vals)
                elif knum == 2:
                    vals = []
                    for _, _, v in fields(lst):
                        vals += list(struct.unpack("<%df" % (len(v) // 4), v))
                    out[key] = ("float", vals)
    return out


def read_tfrecord(path):
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off < len(data):
        check(len(data) - off >= 12, "%s: truncated header at offset %d" % (path, off))
        (n,) = struct.unpack_from("<Q", data, off)
        (lcrc,) = struct.unpack_from("<I", data, off + 8)
        check(lcrc == masked(data[off:off + 8]), "%s: bad length crc at offset %d" % (path, off))
        start, end = off + 12, off + 12 + n
        check(end + 4 <= len(data), "%s: truncated record at offset %d" % (path, off))
        (dcrc,) = struct.unpack_from("<I", data, end)
        check(dcrc == masked(data[start:end]), "%s: bad data crc at offset %d" % (path, off))
        yield off, data[start:end]
        off = end + 4


def split_of(path):
    return os.path.basename(path).split("-")[0]


def main(out):
    with open(os.path.join(out, "manifest.jsonl"), encoding="utf-8") as f:
        manifest = {}
        for line in f:
            r = json.loads(line)
            manifest[r["id"]] = r
    with open(os.path.join(out, "dataset.json"), encoding="utf-8") as f:
        card = json.load(f)
    want = {}
    for r in manifest.values():
        want.setdefault(r["split"], {}).setdefault(r["class"], 0)
        want[r["split"]][r["class"]] += 1

    for s in card.get("shards") or []:
        with open(os.path.join(out, s["path"]), "rb") as f:
            data = f.read()
        check(len(data) == s["bytes"], "%s: %d bytes, card says %d" % (s["path"], len(data), s["bytes"]))
        check(hashlib.sha256(data).hexdigest() == s["sha256"], "%s: sha256 differs from the card" % s["path"])

    formats = card.get("formats") or []
    report = []
    if "webdataset" in formats:
        got, keys = {}, {}
        for shard in sorted(glob.glob(os.path.join(out, "webdataset", "*.tar"))):
            with tarfile.open(shard) as tf:
                current, done = None, set()
                for m in tf:
                    key, _, ext = m.name.partition(".")
                    check(m.isreg(), "%s: %s is not a regular file" % (shard, m.name))
                    check(m.mtime == 946684800 and m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == "" and m.mode == 0o644,
                          "%s: %s has a non-deterministic header" % (shard, m.name))
                    if key != current:
                        check(key not in done, "%s: members of %s are not adjacent" % (shard, key))
                        check(key not in keys, "key %s in %s and %s" % (key, keys.get(key), shard))
                        if current is not None:
                            done.add(current)
                        current = key
                        keys[key] = shard
                    check(key in manifest, "%s: key %s not in the manifest" % (shard, key))
                    r = manifest[key]
                    body = tf.extractfile(m).read()
                    if ext == "cls":
                        check(body == str(r["class_index"]).encode(), "%s: %s = %r, want %d" % (shard, m.name, body, r["class_index"]))
                        got.setdefault(split_of(shard), {}).setdefault(r["class"], 0)
                        got[split_of(shard)][r["class"]] += 1
                        check(split_of(shard) == r["split"], "%s: %s belongs to %s" % (shard, key, r["split"]))
                    elif ext == "json":
                        meta = json.loads(body)
                        check(meta["class"] == r["class"], "%s: %s class %r, manifest %r" % (shard, m.name, meta["class"], r["class"]))
                    elif ext == "png":
                        check(hashlib.sha256(body).hexdigest() == r["sha256"], "%s: %s sha256 differs from the manifest" % (shard, m.name))
        check(got == want, "webdataset counts %s, manifest %s" % (got, want))
        report.append("webdataset: %d samples in %d shards" % (len(keys), len(glob.glob(os.path.join(out, "webdataset", "*.tar")))))
    if "tfrecord" in formats:
        got, n = {}, 0
        shards = sorted(glob.glob(os.path.join(out, "tfrecord", "*.tfrecord")))
        for shard in shards:
            base = os.path.basename(shard)
            total = int(base.rsplit("-of-", 1)[1].split(".")[0])
            nsplit = len([s for s in shards if split_of(s) == split_of(shard)])
            check(total == nsplit, "%s: says of %d, the split has %d shards" % (shard, total, nsplit))
            for off, rec in read_tfrecord(shard):
                ex = parse_example(rec)
                sid = ex["image/source_id"][1][0].decode()
                check(sid in manifest, "%s offset %d: id %s not in the manifest" % (shard, off, sid))
                r = manifest[sid]
                label = ex["image/class/label"]
                check(label == ("int64", [r["class_index"]]), "%s offset %d: label %s, want %d" % (shard, off, label, r["class_index"]))
                check(ex["image/class/text"][1][0].decode() == r["class"], "%s offset %d: class text differs" % (shard, off))
                check(ex["image/format"][1][0] == b"png", "%s offset %d: format not png" % (shard, off))
                check(hashlib.sha256(ex["image/encoded"][1][0]).hexdigest() == r["sha256"], "%s offset %d: image sha256 differs" % (shard, off))
                got.setdefault(split_of(shard), {}).setdefault(r["class"], 0)
                got[split_of(shard)][r["class"]] += 1
                n += 1
        check(got == want, "tfrecord counts %s, manifest %s" % (got, want))
        report.append("tfrecord: %d samples in %d shards" % (n, len(shards)))
    print("ok: " + "; ".join(report))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: interop.py OUT")
    try:
        main(sys.argv[1])
    except Problem as e:
        print("interop: " + str(e), file=sys.stderr)
        sys.exit(1)
