#!/usr/bin/env python3
"""Read and write WebDataset tar shards with nothing but Python's standard
library (tarfile, as webdataset itself uses), so the Go tests can check the
package against an independent codec.

usage: interop.py read SHARD          print the samples of SHARD as JSON
       interop.py write SHARD < JSON  write the samples of JSON to SHARD

JSON is a list of {"key": KEY, "members": [{"ext": EXT, "data": HEX,
"pax": [PAX RECORD KEYS]}]}; "pax" is ignored by write. A sample is the run
of adjacent members whose names share the part up to the first dot of the
base name. read checks that every member is a regular file with the fixed
header augsplit writes (mtime 2000-01-01, mode 0644, uid/gid 0, no user or
group name), that members of a sample are adjacent and keys do not repeat,
and exits 1 naming the first problem.
"""

import io
import json
import posixpath
import sys
import tarfile


class Problem(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Problem(msg)


def split_name(name):
    """webdataset's rule: the key runs to the first dot of the base name."""
    d, base = posixpath.split(name)
    key, dot, ext = base.partition(".")
    check(key and dot and ext, "member %s has no key.extension name" % name)
    return posixpath.join(d, key) if d else key, ext


def read(path):
    samples, done = [], set()
    try:
        with tarfile.open(path) as tf:
            for m in tf:
                check(m.isreg(), "%s: %s is not a regular file" % (path, m.name))
                check(m.mtime == 946684800 and m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == "" and m.mode == 0o644,
                      "%s: %s has a non-deterministic header" % (path, m.name))
                key, ext = split_name(m.name)
                if not samples or samples[-1]["key"] != key:
                    check(key not in done, "%s: members of %s are not adjacent" % (path, key))
                    done.add(key)
                    samples.append({"key": key, "members": []})
                data = tf.extractfile(m).read()
                samples[-1]["members"].append({"ext": ext, "data": data.hex(), "pax": sorted(m.pax_headers)})
    except tarfile.TarError as e:
        raise Problem("%s: %s" % (path, e))
    json.dump(samples, sys.stdout)


def write(path):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for s in json.load(sys.stdin):
            for m in s["members"]:
                data = bytes.fromhex(m["data"])
                info = tarfile.TarInfo(s["key"] + "." + m["ext"])
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        sys.exit("usage: interop.py read SHARD | interop.py write SHARD < JSON")
    try:
        (read if sys.argv[1] == "read" else write)(sys.argv[2])
    except Problem as e:
        print("interop: " + str(e), file=sys.stderr)
        sys.exit(1)
