#!/usr/bin/python3
"""seedtool.py: cut and craft fuzz seeds from LUKS2 images (make_seeds.sh).

    seedtool.py header   IMG OUT        the header part: both metadata copies
    seedtool.py primary  IMG OUT        the primary copy alone (no output when IMG
                                        has no plausible primary)
    seedtool.py keyslots IMG OUT        both copies and the keyslot areas' AF material
                                        (both without trailing zeros)
    seedtool.py json     IMG OUTDIR     the JSON text of each copy, NUL-terminated
    seedtool.py variants IMG LOADDIR JSONDIR
                                        valid-but-unusual and K7-repairable
                                        metadata built on IMG's JSON, both copies
                                        rewritten and sealed

Stdlib only.  Output names are content hashes, so duplicates collapse.
"""

import copy
import hashlib
import json
import os
import struct
import sys

MAGIC1 = b"LUKS\xba\xbe"
MAGIC2 = b"SKUL\xba\xbe"
HDR_MIN, HDR_MAX = 0x4000, 0x400000
SECONDARY_OFFSETS = [0x4000 << i for i in range(9)]
BIN = 4096
OFF_CSUM_ALG, OFF_CSUM = 0x48, 0x1C0


def u64(img, off):
    return struct.unpack_from(">Q", img, off)[0]


def copies(img):
    """(offset, hdr_size) of every plausible copy: magic, size range, inside img."""
    found = []
    if img[:6] == MAGIC1:
        hs = u64(img, 8)
        if HDR_MIN <= hs <= HDR_MAX and hs <= len(img):
            found.append((0, hs))
    for off in SECONDARY_OFFSETS:
        if off + BIN <= len(img) and img[off:off + 6] == MAGIC2:
            hs = u64(img, off + 8)
            if HDR_MIN <= hs <= HDR_MAX and off + hs <= len(img):
                found.append((off, hs))
    return found


def header_len(img):
    ends = [2 * hs for off, hs in copies(img) if off == 0] + \
           [off + hs for off, hs in copies(img) if off != 0]
    return min(len(img), max(ends) if ends else 64 * 1024)


def json_text(img, off, hs):
    area = bytes(img[off + BIN:off + hs])
    end = area.find(b"\0")
    text = area if end < 0 else area[:end]
    return text if text.startswith(b"{") else None


def write_unique(outdir, data, prefix=""):
    os.makedirs(outdir, exist_ok=True)
    name = prefix + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def seal(img, off, hs):
    alg = bytes(img[off + OFF_CSUM_ALG:off + OFF_CSUM_ALG + 32]).split(b"\0")[0].decode()
    img[off + OFF_CSUM:off + OFF_CSUM + 64] = bytes(64)
    h = hashlib.new(alg)
    h.update(img[off:off + hs])
    d = h.digest()
    img[off + OFF_CSUM:off + OFF_CSUM + len(d)] = d


def trim(data):
    """Trailing zeros dropped: the harness zero-extends the device to the size
    the header claims (fuzz_common.h), so they need not be in the input."""
    return data.rstrip(b"\0") or bytes(BIN)


def cmd_header(src, out):
    img = open(src, "rb").read()
    with open(out, "wb") as f:
        f.write(trim(img[:header_len(img)]))


def cmd_primary(src, out):
    """The primary alone: the harness's zero-extension makes the secondary's
    place zeros (bad magic), so the loader uses the primary and warns."""
    img = open(src, "rb").read()
    prim = [hs for off, hs in copies(img) if off == 0]
    if prim:
        with open(out, "wb") as f:
            f.write(trim(img[:prim[0]]))


def cmd_keyslots(src, out):
    """Up to the end of the last keyslot's AF material: unlock reads nothing
    after it, and the harness zero-extends the device to its claimed size."""
    img = open(src, "rb").read()
    hs = u64(img, 8)
    obj = json.loads(json_text(img, 0, hs))
    n = 2 * hs
    for ks in obj["keyslots"].values():
        if ks.get("type") == "luks2":
            af_bytes = (ks["key_size"] * 4000 + 511) // 512 * 512
            n = max(n, int(ks["area"]["offset"]) + af_bytes)
    with open(out, "wb") as f:
        f.write(trim(img[:n]))


def cmd_json(src, outdir):
    img = open(src, "rb").read()
    img += bytes(max(0, 2 * HDR_MAX - len(img)))  # trimmed trailing zeros back
    for off, hs in copies(img):
        text = json_text(img, off, hs)
        if text is not None:
            write_unique(outdir, text + b"\0")


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# ---- variants: each takes the parsed JSON and returns the text to write ----

def v_integrity(o):
    o["segments"]["0"]["integrity"] = {"type": "hmac(sha256)", "journal_encryption": "none",
                                       "journal_integrity": "none"}
    return compact(o)


def v_flags(o):
    o["config"]["flags"] = ["allow-discards", "same-cpu-crypt", "submit-from-crypt-cpus",
                            "no-read-workqueue", "no-write-workqueue", "no-journal",
                            "high_priority", "some-future-flag"]
    return compact(o)


def v_unknown_requirement(o):
    o["config"]["requirements"] = {"mandatory": ["some-future-requirement"], "optional": []}
    return compact(o)


def v_known_requirement(o):
    o["config"]["requirements"] = {"mandatory": ["opal-v2"]}
    return compact(o)


def v_tokens(o):
    ks = sorted(o["keyslots"], key=int)
    o["tokens"]["0"] = {"type": "luks2-keyring", "keyslots": ks[:1],
                        "key_description": "fuzz:key"}
    o["tokens"]["5"] = {"type": "systemd-tpm2", "keyslots": ks,
                        "tpm2-blob": "AAAA", "tpm2-pcrs": [7], "tpm2-pin": False,
                        "nested": {"a": [1, 2.5, None, "\u00e9"]}}
    return compact(o)


def v_priorities(o):
    for i, k in enumerate(sorted(o["keyslots"], key=int)):
        o["keyslots"][k]["priority"] = [2, 0, 1][i % 3]
    return compact(o)


def v_unknown_keyslot(o):
    o["keyslots"]["31"] = {"type": "future-keyslot", "key_size": 0,
                           "area": {"type": "none", "offset": "0", "size": "0"},
                           "extra": {"x": 1}}
    return compact(o)


def v_kdf_leftover(o):
    """K7: parameters of another kdf type left behind (cryptsetup < 2.0.3)."""
    for k in o["keyslots"].values():
        kdf = k.get("kdf", {})
        if kdf.get("type") == "pbkdf2":
            kdf.update({"time": 4, "memory": 32, "cpus": 1})
        elif kdf.get("type", "").startswith("argon2"):
            kdf.update({"iterations": 1000, "hash": "sha256"})
    return compact(o)


def v_old_argon2(o):
    for k in o["keyslots"].values():
        if "kdf" in k:
            k["kdf"] = {"type": "argon2", "time": 4, "memory": 32, "cpus": 1,
                        "salt": k["kdf"]["salt"]}
    return compact(o)


def v_two_segments(o):
    seg = o["segments"]["0"]
    off = int(seg["offset"])
    linear = {"type": "linear", "offset": str(off), "size": "1048576"}
    crypt = dict(seg, offset=str(off + 1048576), size="dynamic", iv_tweak="2048")
    o["segments"] = {"0": linear, "1": crypt}
    for d in o["digests"].values():
        d["segments"] = ["1"]
    return compact(o)


def v_opal(o):
    seg = o["segments"]["0"]
    seg.update({"type": "hw-opal-crypt", "size": "1048576", "opal_segment_number": 1,
                "opal_key_size": 32, "opal_segment_size": "2097152"})
    o["config"]["requirements"] = {"mandatory": ["opal"]}
    return compact(o)


def v_fixed_size(o):
    o["segments"]["0"]["size"] = "4194304"
    o["segments"]["0"]["sector_size"] = 4096
    return compact(o)


def v_detached(o):
    o["segments"]["0"]["offset"] = "0"
    return compact(o)


def v_extra_keys(o):
    o["future"] = {"list": [1, 2, 3], "s": "a\\/b\"c\u0001"}
    o["config"]["future_field"] = "x"
    for d in o["digests"].values():
        d["future"] = True
    return compact(o)


def v_pretty(o):
    return json.dumps(o, indent=2).encode()


def v_sha1_digest(o):
    for d in o["digests"].values():
        d["hash"] = "sha1"
        d["digest"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    return compact(o)


def v_hashes(o):
    for i, k in enumerate(o["keyslots"].values()):
        if "af" in k:
            k["af"]["hash"] = ["sha512", "sha1", "whirlpool", "sha3-256", "blake2b-512"][i % 5]
    return compact(o)


def v_camellia(o):
    for k in o["keyslots"].values():
        if k.get("type") == "luks2":
            k["area"]["encryption"] = "camellia-xts-plain64"
    o["segments"]["0"]["encryption"] = "camellia-xts-plain64"
    return compact(o)


def v_escaped_numbers(o):
    """Ids and sizes written differently: leading zeros are rejected."""
    ks = o["keyslots"]
    k = sorted(ks, key=int)[0]
    ks["0" + k] = ks.pop(k)
    return compact(o)


# ---- variants that reach the validator's rarer refusals ----

def first_keyslot(o):
    return o["keyslots"][sorted(o["keyslots"], key=int)[0]]


def v_many_ids(o):
    for d in o["digests"].values():
        d["keyslots"] = [str(i % 32) for i in range(65)]
    return compact(o)


def v_many_flags(o):
    o["config"]["flags"] = ["flag-%d" % i for i in range(33)]
    return compact(o)


def v_flag_not_string(o):
    o["config"]["flags"] = ["allow-discards", 7]
    return compact(o)


def v_requirements_not_object(o):
    o["config"]["requirements"] = ["online-reencrypt"]
    return compact(o)


def v_online_reencrypt_unversioned(o):
    o["config"]["requirements"] = {"mandatory": ["online-reencrypt"]}
    return compact(o)


def v_two_online_reencrypt(o):
    o["config"]["requirements"] = {"mandatory": ["online-reencrypt-v2", "online-reencrypt-v3"]}
    return compact(o)


def v_token_not_object(o):
    o["tokens"]["3"] = [1, 2]
    return compact(o)


def v_many_tokens(o):
    for i in range(33):
        o["tokens"]["%d" % i] = {"type": "fuzz-%d" % i, "keyslots": []}
    return compact(o)


def v_many_digests(o):
    d = next(iter(o["digests"].values()))
    for i in range(33):
        o["digests"]["%d" % i] = dict(d, keyslots=[], segments=[])
    return compact(o)


def v_many_keyslots(o):
    for i in range(33):
        o["keyslots"]["%d" % i] = {"type": "future-keyslot", "key_size": 0,
                                   "area": {"type": "none", "offset": "0", "size": "0"}}
    return compact(o)


def v_integrity_not_object(o):
    o["segments"]["0"]["integrity"] = "hmac(sha256)"
    return compact(o)


def v_segment_not_object(o):
    o["segments"]["1"] = "linear"
    return compact(o)


def v_keyslot_not_object(o):
    o["keyslots"]["9"] = 9
    return compact(o)


def v_priority_not_integer(o):
    first_keyslot(o)["priority"] = "2"
    return compact(o)


def v_key_size_string(o):
    first_keyslot(o)["key_size"] = "32"
    return compact(o)


def v_offset_overflow(o):
    o["segments"]["0"]["offset"] = "18446744073709547520"
    o["segments"]["0"]["size"] = "1048576"
    return compact(o)


def v_in_reencryption_alone(o):
    o["segments"]["0"]["flags"] = ["in-reencryption"]
    return compact(o)


def v_area_size_zero(o):
    first_keyslot(o)["area"]["size"] = "0"
    return compact(o)


def v_argon2_limits(o):
    """strict.c: argon2 time, cpus and memory out of range, one keyslot each,
    with their own digest and 4 KiB areas after keyslot 0's."""
    k = first_keyslot(o)
    area = k["area"]
    start = int(area["offset"]) + int(area["size"])
    d = next(iter(o["digests"].values()))
    o["digests"]["1"] = dict(d, keyslots=[], segments=[])
    for n, kdf in enumerate([{"time": 0, "memory": 1024, "cpus": 1},
                             {"time": 4, "memory": 1024, "cpus": 0},
                             {"time": 4, "memory": 1, "cpus": 1}]):
        ks = copy.deepcopy(k)
        ks["key_size"] = 1
        ks["area"] = dict(area, offset=str(start + 4096 * n), size="4096")
        ks["kdf"] = dict(kdf, type="argon2id", salt=k["kdf"]["salt"])
        o["keyslots"][str(10 + n)] = ks
        o["digests"]["1"]["keyslots"].append(str(10 + n))
    return compact(o)


def v_key_size_huge(o):
    k = first_keyslot(o)
    k["key_size"] = 513
    k["area"]["size"] = str((513 * 4000 + 4095) // 4096 * 4096)
    o["config"]["keyslots_size"] = str(4 << 20)
    o["segments"]["0"]["offset"] = str(8 << 20)
    return compact(o)


def v_null_cipher(o):
    o["segments"]["0"]["encryption"] = "cipher_null-ecb"
    return compact(o)


# ---- variants of a header in reencryption (None elsewhere) ----

def reencrypt_keyslot(o):
    for k, ks in o["keyslots"].items():
        if ks.get("type") == "reencrypt":
            return k
    return None


def v_two_reencrypt_keyslots(o):
    k = reencrypt_keyslot(o)
    if k is None:
        return None
    ks = copy.deepcopy(o["keyslots"][k])
    ks["area"] = {"type": "none", "offset": "0", "size": "0"}
    o["keyslots"]["31"] = ks
    return compact(o)


def v_in_reencryption_not_final(o):
    if reencrypt_keyslot(o) is None:
        return None
    for seg in o["segments"].values():
        if not any(f.startswith("backup-") for f in seg.get("flags", [])):
            seg["flags"] = ["in-reencryption"]
            seg["sector_size"] = 512 if seg.get("sector_size") != 512 else 4096
            return compact(o)
    return None


def v_segment_matches_no_backup(o):
    if reencrypt_keyslot(o) is None:
        return None
    for seg in o["segments"].values():
        if not any(f.startswith("backup-") for f in seg.get("flags", [])):
            seg["sector_size"] = 512 if seg.get("sector_size") != 512 else 4096
            return compact(o)
    return None


VARIANTS = [v_integrity, v_flags, v_unknown_requirement, v_known_requirement, v_tokens,
            v_priorities, v_unknown_keyslot, v_kdf_leftover, v_old_argon2, v_two_segments,
            v_opal, v_fixed_size, v_detached, v_extra_keys, v_pretty, v_sha1_digest,
            v_hashes, v_camellia, v_escaped_numbers,
            v_many_ids, v_many_flags, v_flag_not_string, v_requirements_not_object,
            v_online_reencrypt_unversioned, v_two_online_reencrypt, v_token_not_object,
            v_many_tokens, v_many_digests, v_many_keyslots, v_integrity_not_object,
            v_segment_not_object, v_keyslot_not_object, v_priority_not_integer,
            v_key_size_string, v_offset_overflow, v_in_reencryption_alone, v_area_size_zero,
            v_argon2_limits, v_key_size_huge, v_null_cipher,
            v_two_reencrypt_keyslots, v_in_reencryption_not_final, v_segment_matches_no_backup]


def cmd_variants(src, loaddir, jsondir):
    img = bytearray(open(src, "rb").read())
    hs = u64(img, 8)
    base = json.loads(json_text(img, 0, hs))
    n = header_len(img)
    for variant in VARIANTS:
        text = variant(copy.deepcopy(base))
        if text is None or len(text) >= hs - BIN:
            continue
        out = bytearray(img[:n])
        for off in (0, hs):
            area = text + bytes(hs - BIN - len(text))
            out[off + BIN:off + hs] = area
            seal(out, off, hs)
        write_unique(loaddir, trim(bytes(out)), variant.__name__ + "-")
        write_unique(jsondir, text + b"\0", variant.__name__ + "-")


def main():
    cmds = {"header": (cmd_header, 2), "primary": (cmd_primary, 2),
            "keyslots": (cmd_keyslots, 2), "json": (cmd_json, 2),
            "variants": (cmd_variants, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or len(sys.argv) != 2 + cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = cmds[sys.argv[1]]
    fn(*sys.argv[2:])


if __name__ == "__main__":
    main()
