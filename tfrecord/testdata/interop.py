#!/usr/bin/env python3
"""Read and write TFRecord files of tf.train.Example records with nothing
but Python's standard library, the way a TensorFlow user's own code would,
so the Go tests can check the package against an independent codec.

usage: interop.py read FILE          print the records of FILE as JSON
       interop.py write FILE < JSON  write the records of JSON to FILE

JSON is a list of {"offset": N, "features": {KEY: FEATURE}}, where FEATURE
is {"kind": "bytes", "bytes": [HEX...]}, {"kind": "float", "float": [...]}
or {"kind": "int64", "int64": [...]}; "offset" is ignored by write.
read checks every frame's length and data CRC32C (masked) and exits 1
naming the first problem.
"""

import json
import struct
import sys


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


def signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


def parse_example(b):
    """tf.train.Example -> {key: FEATURE}."""
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
                    out[key] = {"kind": "bytes", "bytes": [v.hex() for _, _, v in fields(lst)]}
                elif knum == 2:
                    vals = []
                    for _, wt, v in fields(lst):
                        vals += list(struct.unpack("<%df" % (len(v) // 4), v))
                    out[key] = {"kind": "float", "float": vals}
                elif knum == 3:
                    vals = []
                    for _, wt, v in fields(lst):
                        if wt == 0:
                            vals.append(signed(v))
                        else:  # packed
                            i = 0
                            while i < len(v):
                                x, i = varint(v, i)
                                vals.append(signed(x))
                    out[key] = {"kind": "int64", "int64": vals}
    return out


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    records, off = [], 0
    while off < len(data):
        check(len(data) - off >= 12, "%s: truncated header at offset %d" % (path, off))
        (n,) = struct.unpack_from("<Q", data, off)
        (lcrc,) = struct.unpack_from("<I", data, off + 8)
        check(lcrc == masked(data[off:off + 8]), "%s: bad length crc at offset %d" % (path, off))
        start, end = off + 12, off + 12 + n
        check(end + 4 <= len(data), "%s: truncated record at offset %d" % (path, off))
        (dcrc,) = struct.unpack_from("<I", data, end)
        check(dcrc == masked(data[start:end]), "%s: bad data crc at offset %d" % (path, off))
        records.append({"offset": off, "features": parse_example(data[start:end])})
        off = end + 4
    json.dump(records, sys.stdout)


def put_varint(x):
    x &= (1 << 64) - 1  # negative int64: ten-byte two's complement
    out = bytearray()
    while x >= 0x80:
        out.append(x & 0x7F | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def field(num, body):
    return put_varint(num << 3 | 2) + put_varint(len(body)) + body


def example(features):
    entries = b""
    for key, f in features.items():
        kind = f["kind"]
        if kind == "bytes":
            feature = field(1, b"".join(field(1, bytes.fromhex(v)) for v in f.get("bytes", [])))
        elif kind == "float":
            vals = f.get("float", [])
            feature = field(2, field(1, struct.pack("<%df" % len(vals), *vals)) if vals else b"")
        else:
            vals = f.get("int64", [])
            feature = field(3, field(1, b"".join(put_varint(v) for v in vals)) if vals else b"")
        entries += field(1, field(1, key.encode("utf-8")) + field(2, feature))
    return field(1, entries)


def write(path):
    with open(path, "wb") as f:
        for rec in json.load(sys.stdin):
            data = example(rec["features"])
            n = struct.pack("<Q", len(data))
            f.write(n + struct.pack("<I", masked(n)) + data + struct.pack("<I", masked(data)))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        sys.exit("usage: interop.py read FILE | interop.py write FILE < JSON")
    try:
        (read if sys.argv[1] == "read" else write)(sys.argv[2])
    except Problem as e:
        print("interop: " + str(e), file=sys.stderr)
        sys.exit(1)
