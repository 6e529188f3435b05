#!/usr/bin/python3
# hdr_view.py DEVICE [HEADER] [--bench] [--fresh]: the LUKS2 header of
# DEVICE as cryptsetup reads it, normalized so that two tools' results of
# the same command compare equal exactly when they made the same header:
# the binary header fields of `luksDump` and the whole JSON metadata of
# `luksDump --dump-json-metadata`, ids and values, with only what is random
# replaced by its length (salts, digests) and, with --bench, the KDF costs
# a benchmark chose; --fresh also hides the UUID of a new format.
import json
import subprocess
import sys

# Not the Epoch (seqid): how many writes a tool makes for one change is its
# own business, as long as the seqid grows.
BINARY_FIELDS = ("Version", "Metadata area", "Keyslots area", "UUID", "Label", "Subsystem",
                 "Flags")
RANDOM_KEYS = ("salt", "digest")
BENCH_KEYS = ("time", "memory", "cpus", "iterations")


def cryptsetup(*args):
    run = subprocess.run(["cryptsetup", *args], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("cryptsetup %s: exit %d: %s" % (" ".join(args), run.returncode,
                                                  run.stderr.strip()))
    return run.stdout


def normalize(node, bench, key=""):
    if isinstance(node, dict):
        return {k: normalize(v, bench, k) for k, v in node.items()}
    if isinstance(node, list):
        return [normalize(v, bench) for v in node]
    if key in RANDOM_KEYS and isinstance(node, str):
        return "<%d base64 characters>" % len(node)
    if bench and key in BENCH_KEYS:
        return "<benchmarked>"
    return node


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bench = "--bench" in sys.argv
    fresh = "--fresh" in sys.argv
    where = [args[0]] + (["--header", args[1]] if len(args) > 1 else [])
    for line in cryptsetup("luksDump", *where).splitlines():
        field, _, value = line.partition(":")
        if field in BINARY_FIELDS:
            if fresh and field == "UUID":
                value = "<new>"
            print("%s: %s" % (field, value.strip()))
    metadata = json.loads(cryptsetup("luksDump", "--dump-json-metadata", *where))
    print(json.dumps(normalize(metadata, bench), indent=1, sort_keys=False))


main()
