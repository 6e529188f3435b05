#!/usr/bin/python3
# SPDX-License-Identifier: ISC
# af_vector.py: independent AF-merge known answers for tests/unit/test_crypto.c.
# Split material: byte j of stripe i is (i * 7 + j) mod 256.
import hashlib


def diffuse(buf, hash_name):
    size = hashlib.new(hash_name).digest_size
    out = b""
    for i in range(0, len(buf), size):
        block = buf[i:i + size]
        digest = hashlib.new(hash_name, (i // size).to_bytes(4, "big") + block).digest()
        out += digest[:len(block)]
    return out


def merge(split, key_len, stripes, hash_name):
    d = bytes(key_len)
    for i in range(stripes - 1):
        stripe = split[i * key_len:(i + 1) * key_len]
        d = diffuse(bytes(a ^ b for a, b in zip(d, stripe)), hash_name)
    return bytes(a ^ b for a, b in zip(d, split[(stripes - 1) * key_len:]))


for key_len, stripes, hash_name in [(20, 3, "sha1"), (32, 3, "sha1"), (20, 4, "sha256")]:
    split = bytes((i * 7 + j) % 256 for i in range(stripes) for j in range(key_len))
    print(key_len, stripes, hash_name, merge(split, key_len, stripes, hash_name).hex())
