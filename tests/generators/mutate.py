#!/usr/bin/python3
"""mutate.py: build mutated LUKS2 header images for the validation suite.

    mutate.py --base luks2_valid_hdr.img[.xz] --out DIR

writes DIR/<case>.img for every case and DIR/manifest.tsv with one line per
case: "<case>\t<R|F|T>[\t<comment>]".

    R  `cryptsetup luksDump IMG` succeeds
    F  `cryptsetup luksDump IMG` fails (non-zero, not a crash)
    T  `cryptsetup token remove --token-id 0` then luksDump succeeds

The cases follow the header mutations of cryptsetup's tests/generators (see
docs/luks2-reference.md, section 5.1); this is an independent implementation.
The base is cryptsetup's luks2_valid_hdr.img: 16 MiB, 16 KiB metadata (primary
at 0, secondary at 0x4000), eight keyslots, data segment at 4 MiB.

Why a secondary copy gets killed: libcryptsetup loads whichever copy is valid
(the higher seqid when both are).  A mutation of only the primary would be
masked by the intact secondary, so cases that are about the primary's JSON
overwrite the secondary's magic, and the verdict depends on the primary alone.
Cases that must survive a read of either copy mutate both copies instead.

Every case checks what it wrote (checksums, killed magics, the mutated value
read back from the image bytes) and the script exits non-zero on any mismatch.
Stdlib only: run it with Debian's /usr/bin/python3.
"""

import argparse
import hashlib
import json
import lzma
import os
import struct
import sys

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

BIN_HDR_SIZE = 4096
OFF_HDR_SIZE = 0x008
OFF_CSUM_ALG = 0x048
OFF_HDR_OFFSET = 0x100
OFF_CSUM = 0x1C0
CSUM_FIELD_LEN = 64

MAGIC_PRIMARY = b"LUKS\xba\xbe"
MAGIC_SECONDARY = b"SKUL\xba\xbe"
KILLED_MAGIC = b"VACUUM"  # six bytes: neither magic, so the copy is ignored

BASE_MDA = 16 * KIB  # metadata size (binary header + JSON area) of the base
MDA_SIZES = [16 * KIB << i for i in range(9)]  # 16 KiB .. 4 MiB

CASES = []  # (name, verdict, builder), in the order of the reference table


class CaseError(Exception):
    """A generated image does not say what its case claims."""


def need(cond, what):
    if not cond:
        raise CaseError(what)


# --------------------------------------------------------------------------
# Binary header and JSON area access.  `off` is the offset of a header copy.

def get_u64(img, off):
    return struct.unpack_from(">Q", img, off)[0]


def put_u64(img, off, value):
    struct.pack_into(">Q", img, off, value)


def hdr_size(img, off):
    return get_u64(img, off + OFF_HDR_SIZE)


def area_len_of(img, off):
    """JSON area length as the copy's own binary header declares it."""
    return hdr_size(img, off) - BIN_HDR_SIZE


def json_area(img, off, area_len=None):
    if area_len is None:
        area_len = area_len_of(img, off)
    start = off + BIN_HDR_SIZE
    return bytes(img[start:start + area_len])


def read_json(img, off):
    return json.loads(json_area(img, off).rstrip(b"\0"))


def compact(obj):
    """Serialise like libcryptsetup's writer: no whitespace.  (json-c also
    writes '/' as '\\/'; both spellings are the same JSON string.)"""
    return json.dumps(obj, separators=(",", ":")).encode()


def put_area(img, off, raw, area_len=None):
    """Place raw JSON area bytes, NUL padded to the full area."""
    if area_len is None:
        area_len = area_len_of(img, off)
    need(len(raw) <= area_len, "JSON area overflow: %d > %d" % (len(raw), area_len))
    start = off + BIN_HDR_SIZE
    img[start:start + area_len] = raw + b"\0" * (area_len - len(raw))


def csum_alg(img, off):
    return bytes(img[off + OFF_CSUM_ALG:off + OFF_CSUM_ALG + 32]).rstrip(b"\0").decode()


def compute_csum(img, off, area_len=None):
    """Hash of the binary header with its csum field zeroed, then the whole
    (zero padded) JSON area."""
    if area_len is None:
        area_len = area_len_of(img, off)
    binhdr = bytearray(img[off:off + BIN_HDR_SIZE])
    binhdr[OFF_CSUM:OFF_CSUM + CSUM_FIELD_LEN] = bytes(CSUM_FIELD_LEN)
    h = hashlib.new(csum_alg(img, off))
    h.update(binhdr)
    h.update(json_area(img, off, area_len))
    return h.digest()


def stored_csum(img, off, length):
    return bytes(img[off + OFF_CSUM:off + OFF_CSUM + length])


def seal(img, off, area_len=None):
    """Store a correct checksum for the copy at off."""
    digest = compute_csum(img, off, area_len)
    field = digest + bytes(CSUM_FIELD_LEN - len(digest))
    img[off + OFF_CSUM:off + OFF_CSUM + CSUM_FIELD_LEN] = field


def csum_ok(img, off, area_len=None):
    digest = compute_csum(img, off, area_len)
    return stored_csum(img, off, len(digest)) == digest


def put_json(img, off, obj, area_len=None):
    """Write obj compactly (with room for the terminating NUL) and seal."""
    raw = compact(obj)
    alen = area_len if area_len is not None else area_len_of(img, off)
    need(len(raw) < alen, "JSON does not fit with its NUL")
    put_area(img, off, raw, alen)
    seal(img, off, alen)


def kill(img, off):
    img[off:off + len(KILLED_MAGIC)] = KILLED_MAGIC


def secondary_off(img):
    """The secondary sits right after the primary's metadata area."""
    return hdr_size(img, 0)


# --------------------------------------------------------------------------
# Self-checks on finished images.

def expect_sealed(img, off, magic, area_len=None):
    need(bytes(img[off:off + 6]) == magic, "copy at %#x lost its magic" % off)
    need(csum_ok(img, off, area_len), "copy at %#x: checksum does not verify" % off)


def expect_bad_csum(img, off):
    need(not csum_ok(img, off), "copy at %#x: checksum should not verify" % off)


def expect_killed(img, off):
    need(bytes(img[off:off + 6]) == KILLED_MAGIC, "copy at %#x is not killed" % off)


def expect_primary_only(img):
    """Primary sealed, secondary killed: only the primary can be loaded."""
    expect_sealed(img, 0, MAGIC_PRIMARY)
    expect_killed(img, secondary_off(img))


def expect_both(img):
    expect_sealed(img, 0, MAGIC_PRIMARY)
    expect_sealed(img, secondary_off(img), MAGIC_SECONDARY)


# --------------------------------------------------------------------------
# JSON edits.  An edit changes the parsed JSON and can tell whether a JSON
# object read back from the image carries the change.

def walk(obj, path):
    """Return (parent, key) for a '/'-separated path like 'segments/0/size'."""
    keys = path.split("/")
    for k in keys[:-1]:
        obj = obj[k]
    return obj, keys[-1]


class Set:
    def __init__(self, path, value):
        self.path, self.value = path, value

    def apply(self, obj):
        parent, key = walk(obj, self.path)
        parent[key] = self.value

    def holds(self, obj):
        parent, key = walk(obj, self.path)
        # type() too: 4096 and "4096", or 1 and True, must not compare equal
        v = parent.get(key)
        return type(v) is type(self.value) and v == self.value


class Delete:
    def __init__(self, path):
        self.path = path

    def apply(self, obj):
        parent, key = walk(obj, self.path)
        del parent[key]

    def holds(self, obj):
        parent, key = walk(obj, self.path)
        return key not in parent


class Custom:
    """An edit written as a function, with an explicit read-back check."""

    def __init__(self, apply, holds):
        self.apply, self.holds = apply, holds


def apply_all(obj, edits):
    for e in edits:
        e.apply(obj)
    return obj


def expect_edits(obj, edits):
    for e in edits:
        need(e.holds(obj), "mutation not found in the written JSON")


# --------------------------------------------------------------------------
# Case registration helpers.

def case(name, verdict):
    def register(builder):
        CASES.append((name, verdict, builder))
        return builder
    return register


def primary_case(name, verdict, *edits):
    """Edit the primary's JSON, kill the secondary (see module docstring)."""
    def build(img):
        obj = apply_all(read_json(img, 0), edits)
        sec = secondary_off(img)
        put_json(img, 0, obj)
        kill(img, sec)
        expect_primary_only(img)
        expect_edits(read_json(img, 0), edits)
    CASES.append((name, verdict, build))


def both_case(name, verdict, *edits):
    """Same JSON edit in both copies, both sealed: no copy to fall back on."""
    def build(img):
        for off in (0, secondary_off(img)):
            put_json(img, off, apply_all(read_json(img, off), edits))
        expect_both(img)
        for off in (0, secondary_off(img)):
            expect_edits(read_json(img, off), edits)
    CASES.append((name, verdict, build))


def raw_primary_case(name, verdict, make_area, check_area):
    """Byte-level JSON area of the primary (things json.dumps cannot write):
    make_area(compact_json, area_len) -> bytes; secondary killed."""
    def build(img):
        alen = area_len_of(img, 0)
        put_area(img, 0, make_area(compact(read_json(img, 0)), alen), alen)
        seal(img, 0)
        kill(img, secondary_off(img))
        expect_primary_only(img)
        need(check_area(json_area(img, 0)), "JSON area bytes not as intended")
    CASES.append((name, verdict, build))


def ks_areas(obj):
    return [(int(k["area"]["offset"]), int(k["area"]["size"]))
            for k in obj["keyslots"].values()]


# --------------------------------------------------------------------------
# [1] checksums and auto-recovery

BOGUS_CSUM = hashlib.sha256(b"not the checksum of this header").digest()


def put_bogus_csum(img, off):
    img[off + OFF_CSUM:off + OFF_CSUM + len(BOGUS_CSUM)] = BOGUS_CSUM


@case("invalid-checksum-hdr0", "R")
def invalid_checksum_hdr0(img):
    put_bogus_csum(img, 0)
    expect_bad_csum(img, 0)
    expect_sealed(img, secondary_off(img), MAGIC_SECONDARY)


@case("invalid-checksum-hdr1", "R")
def invalid_checksum_hdr1(img):
    put_bogus_csum(img, secondary_off(img))
    expect_sealed(img, 0, MAGIC_PRIMARY)
    expect_bad_csum(img, secondary_off(img))


@case("invalid-checksum-both-hdrs", "F")
def invalid_checksum_both_hdrs(img):
    sec = secondary_off(img)
    put_bogus_csum(img, 0)
    put_bogus_csum(img, sec)
    expect_bad_csum(img, 0)
    expect_bad_csum(img, sec)


def unterminated_area(js, area_len):
    """The JSON with its closing brace replaced by an unterminated string
    member that runs to the very last byte of the area (no NUL anywhere)."""
    filler = b"all work and no play makes a dull header "
    raw = js[:-1] + b',"'
    raw += filler * ((area_len - len(raw)) // len(filler) + 1)
    return raw[:area_len]


def corrupted_with_good_csum(img, off):
    """Checksum is right but the JSON cannot parse: the other copy is used."""
    alen = area_len_of(img, off)
    put_area(img, off, unterminated_area(compact(read_json(img, off)), alen), alen)
    seal(img, off)
    area = json_area(img, off)
    need(b"\0" not in area and area[-1:] != b"}", "area should be unterminated")


@case("corrupted-hdr0-with-correct-chks", "R")
def corrupted_hdr0_with_correct_chks(img):
    corrupted_with_good_csum(img, 0)
    expect_both(img)


@case("corrupted-hdr1-with-correct-chks", "R")
def corrupted_hdr1_with_correct_chks(img):
    corrupted_with_good_csum(img, secondary_off(img))
    expect_both(img)


def fill_to(obj, length):
    """Add a config.config_key string sized so the compact JSON is exactly
    length bytes long."""
    obj["config"]["config_key"] = ""
    obj["config"]["config_key"] = "X" * (length - len(compact(obj)))
    need(len(compact(obj)) == length, "filler has the wrong size")
    return obj


@case("correct-full-json0", "R")
def correct_full_json0(img):
    """JSON plus its terminating NUL fill the area exactly."""
    alen = area_len_of(img, 0)
    put_json(img, 0, fill_to(read_json(img, 0), alen - 1))
    kill(img, secondary_off(img))
    expect_primary_only(img)
    area = json_area(img, 0)
    need(area[-2:] == b"}\0" and len(area.rstrip(b"\0")) == alen - 1,
         "JSON must end one byte before the area")


# [2] stale KDF parameters: libcryptsetup's repair drops them in memory
def kdf_leftover(slot, new_type):
    """Switch a keyslot's KDF type but keep the old type's parameters, plus
    the new type's own ones (argon2 <-> pbkdf2)."""
    kdf = "keyslots/%s/kdf/" % slot
    return (Set(kdf + "type", new_type), Set(kdf + "iterations", 1001),
            Set(kdf + "hash", "sha256"))


primary_case("argon2-leftover-params", "R", *kdf_leftover("1", "pbkdf2"))
primary_case("pbkdf2-leftover-params-0", "R", *kdf_leftover("2", "argon2i"))
primary_case("pbkdf2-leftover-params-1", "R", *kdf_leftover("2", "argon2id"))


# [3] JSON area byte rules.  The secondary is killed in all of them.
raw_primary_case(
    "non-null-byte-beyond-json0", "F",
    lambda js, n: js + b"X",
    lambda a: a.rstrip(b"\0").endswith(b"}X"))

TRAILING_TEXT = b"text that is not part of the JSON object"
raw_primary_case(
    "non-null-bytes-beyond-json0", "F",
    lambda js, n: js + b"\0" * 20 + TRAILING_TEXT,
    lambda a: a.rstrip(b"\0").endswith(b"}" + b"\0" * 20 + TRAILING_TEXT))


@case("missing-trailing-null-byte-json0", "F")
def missing_trailing_null_byte_json0(img):
    """JSON fills the whole area: no room for the terminating NUL."""
    alen = area_len_of(img, 0)
    put_area(img, 0, compact(fill_to(read_json(img, 0), alen)))
    seal(img, 0)
    kill(img, secondary_off(img))
    expect_primary_only(img)
    area = json_area(img, 0)
    need(b"\0" not in area and area[-1:] == b"}", "no NUL may follow the JSON")


raw_primary_case(
    "invalid-opening-char-json0", "F",
    lambda js, n: b" " + js,
    lambda a: a.startswith(b' {"'))

raw_primary_case(
    "invalid-object-type-json0", "F",
    lambda js, n: b"[" + js + b"]",
    lambda a: isinstance(json.loads(a.rstrip(b"\0")), list))


# Keyslot areas.  ks6 is the last area in the base, ks7 the one before it.
def ks_area(slot, field):
    return "keyslots/%s/area/%s" % (slot, field)


def area_edit(slot, offset, size=None):
    """Custom edit computing keyslot `slot`'s area from the current JSON."""
    def apply(obj):
        a6 = obj["keyslots"]["6"]["area"]
        area = obj["keyslots"][slot]["area"]
        area["offset"] = str(offset(a6))
        if size:
            area["size"] = str(size(a6))

    def holds(obj):
        a6 = obj["keyslots"]["6"]["area"]
        area = obj["keyslots"][slot]["area"]
        return (area["offset"] == str(offset(a6))
                and (size is None or area["size"] == str(size(a6))))
    return Custom(apply, holds)


def off6(a6):
    return int(a6["offset"])


def size6(a6):
    return int(a6["size"])


primary_case("overlapping-areas-c0-json0", "F", area_edit("7", off6, size6))
primary_case("overlapping-areas-c1-json0", "F",
             area_edit("7", lambda a: off6(a) + 1, lambda a: size6(a) - 1))
primary_case("overlapping-areas-c2-json0", "F",  # last byte of ks6 = first of ks7
             area_edit("7", lambda a: off6(a) + size6(a) - 1))
primary_case("area-in-json-hdr-space-json0", "F",  # last byte of the secondary's JSON
             Set(ks_area("0", "offset"), str(2 * BASE_MDA - 1)),
             Set(ks_area("0", "size"), "1"))


# References between objects.  Keyslot "8" and segment "1" do not exist.
def append_to(path, item):
    def apply(obj):
        parent, key = walk(obj, path)
        parent[key].append(item)

    def holds(obj):
        parent, key = walk(obj, path)
        return parent[key][-1] == item
    return Custom(apply, holds)


def drop_first(path):
    def apply(obj):
        parent, key = walk(obj, path)
        del parent[key][0]

    def holds(obj):
        parent, key = walk(obj, path)
        return len(parent[key]) == 7
    return Custom(apply, holds)


primary_case("missing-keyslot-referenced-in-digest", "F",
             append_to("digests/0/keyslots", "8"))
primary_case("missing-segment-referenced-in-digest", "F",
             append_to("digests/0/segments", "1"))
primary_case("missing-keyslot-referenced-in-token", "F",
             Set("tokens/0", {"type": "dummy", "keyslots": ["0", "8"]}))
primary_case("keyslot-missing-digest", "F", drop_first("digests/0/keyslots"))


def second_digest_owning_ks1():
    def apply(obj):
        d1 = json.loads(json.dumps(obj["digests"]["0"]))
        d1["keyslots"] = ["1"]
        obj["digests"]["1"] = d1

    def holds(obj):
        return obj["digests"]["1"]["keyslots"] == ["1"] and "1" in obj["digests"]["0"]["keyslots"]
    return Custom(apply, holds)


primary_case("keyslot-too-many-digests", "F", second_digest_owning_ks1())


# [4] integer limits (uint64 values are decimal strings)
primary_case("uint64-max-segment-size", "R",
             Set("segments/0/size", str(2**64 - 512)))  # largest 512-aligned u64
primary_case("uint64-overflow-segment-size", "F", Set("segments/0/size", str(2**64)))
primary_case("uint64-signed-segment-size", "F", Set("segments/0/size", "-512"))


# [5] segments
SEG = "segments/0/"
primary_case("segment-missing-type", "F", Delete(SEG + "type"))
primary_case("segment-missing-offset", "F", Delete(SEG + "offset"))
primary_case("segment-missing-size", "F", Delete(SEG + "size"))
primary_case("segment-wrong-type", "F", Set(SEG + "type", 42))
primary_case("segment-wrong-offset", "F", Set(SEG + "offset", "-42"))
primary_case("segment-wrong-size-0", "F", Set(SEG + "size", 4096))
primary_case("segment-wrong-size-1", "F", Set(SEG + "size", "automatic"))
primary_case("segment-wrong-size-2", "F", Set(SEG + "size", "511"))
primary_case("segment-crypt-missing-encryption", "F", Delete(SEG + "encryption"))
primary_case("segment-crypt-missing-ivoffset", "F", Delete(SEG + "iv_tweak"))
primary_case("segment-crypt-missing-sectorsize", "F", Delete(SEG + "sector_size"))
primary_case("segment-crypt-wrong-encryption", "F", Set(SEG + "encryption", {}))
primary_case("segment-crypt-empty-encryption", "F", Set(SEG + "encryption", ""))
primary_case("segment-crypt-wrong-ivoffset", "F", Set(SEG + "iv_tweak", "dynamic"))
primary_case("segment-crypt-wrong-sectorsize-0", "F", Set(SEG + "sector_size", 1023))
primary_case("segment-crypt-wrong-sectorsize-1", "F", Set(SEG + "sector_size", "4096"))
primary_case("segment-crypt-wrong-sectorsize-2", "F", Set(SEG + "sector_size", -1024))
primary_case("segment-unknown-type", "R",  # offset and size kept from the base
             Set("segments/0", {"type": "some_type", "offset": str(4 * MIB),
                                "size": "dynamic", "a_field": 0}))
primary_case("segment-two", "R",
             Set(SEG + "size", "512"),
             Set("segments/1", {"type": "some", "offset": str(4 * MIB + 512),
                                "size": "dynamic"}))
primary_case("segment-wrong-flags", "F", Set(SEG + "flags", "hello"))
primary_case("segment-wrong-flags-element", "F", Set(SEG + "flags", ["hello", 1]))

BACKUP_SEG = {"type": "linear", "offset": "512", "size": "512", "flags": ["backup-x"]}
# Backup segment keyed "2" with only "0" before it: a gap in the keys.
primary_case("segment-wrong-backup-key-0", "F", Set("segments/2", BACKUP_SEG))


def many_segments_and_far_backup():
    """64 linear segments after segment 0, then a backup segment whose key,
    0x10000010, wraps a 32-bit (key+1)*sizeof(ptr) allocation (CVE-2020-14382)."""
    def apply(obj):
        for i in range(1, 65):
            obj["segments"][str(i)] = {"type": "linear", "offset": str(4 * MIB + 512),
                                       "size": "512"}
        obj["segments"][str(0x10000010)] = dict(BACKUP_SEG)

    def holds(obj):
        return len(obj["segments"]) == 66 and "268435472" in obj["segments"]
    return Custom(apply, holds)


primary_case("segment-wrong-backup-key-1", "F", many_segments_and_far_backup())


# [6] config: keyslots_size and json_size
KS_SIZE = "config/keyslots_size"
# Keyslots area reaching 4 KiB into the data segment (data at 4 MiB).
primary_case("invalid-keyslots-size-c0", "F",
             Set(KS_SIZE, str(4 * MIB - 2 * BASE_MDA + 4096)))
primary_case("invalid-keyslots-size-c1", "F", Set(KS_SIZE, str(4 * MIB - 2 * BASE_MDA - 1)))
# 4 KiB less than the eight 128 KiB areas occupy.
primary_case("invalid-keyslots-size-c2", "F", Set(KS_SIZE, str(8 * 128 * KIB - 4096)))
primary_case("invalid-json-size-c0", "F", Set("config/json_size", str(12 * KIB + 4096)))
primary_case("invalid-json-size-c1", "F", Set("config/json_size", str(12 * KIB - 4096)))


# --------------------------------------------------------------------------
# Metadata size: headers rebuilt with a different hdr_size.

def align_up(n, step):
    return (n + step - 1) // step * step


def write_copies(img, mda, obj):
    """Rewrite both copies with hdr_size mda, the secondary at offset mda,
    both carrying obj.  The old metadata region is cleared first, so no stale
    copy (the base's secondary at 16 KiB) survives inside the new JSON areas."""
    bin0 = bytearray(img[0:BIN_HDR_SIZE])
    bin1 = bytearray(img[BASE_MDA:BASE_MDA + BIN_HDR_SIZE])
    img[0:2 * mda] = bytes(2 * mda)
    for off, binhdr in ((0, bin0), (mda, bin1)):
        img[off:off + BIN_HDR_SIZE] = binhdr
        put_u64(img, off + OFF_HDR_SIZE, mda)
        put_u64(img, off + OFF_HDR_OFFSET, off)
        put_json(img, off, obj)
    expect_both(img)


def relayout(obj, mda, area_shift_adjust=0):
    """The base JSON moved to metadata size mda: keyslot areas shifted by the
    growth of both metadata copies (so the first one starts at 2*mda), data
    segment left at 4 MiB unless the areas need more room, keyslots_size =
    everything between the second copy and the data."""
    shift = 2 * (mda - BASE_MDA) + area_shift_adjust
    for ks in obj["keyslots"].values():
        ks["area"]["offset"] = str(int(ks["area"]["offset"]) + shift)
    areas_end = max(o + s for o, s in ks_areas(obj))
    data_off = max(int(obj["segments"]["0"]["offset"]), align_up(areas_end, MIB))
    obj["segments"]["0"]["offset"] = str(data_off)
    obj["config"]["json_size"] = str(mda - BIN_HDR_SIZE)
    obj["config"]["keyslots_size"] = str(data_off - 2 * mda)
    return obj


def expect_valid_layout(obj, mda, image_size):
    """The layout rules an R case must meet (reference section 1.6 C2/C3/A1-A4)."""
    ks_size = int(obj["config"]["keyslots_size"])
    data_off = int(obj["segments"]["0"]["offset"])
    need(int(obj["config"]["json_size"]) == mda - BIN_HDR_SIZE, "json_size")
    need(ks_size % 4096 == 0 and ks_size <= 128 * MIB, "keyslots_size alignment/limit")
    need(data_off - ks_size >= 2 * mda, "keyslots area overlaps the metadata")
    need(2 * mda + ks_size <= image_size, "image too small for the metadata")
    areas = sorted(ks_areas(obj))
    for o, s in areas:
        need(o >= 2 * mda and o + s <= 2 * mda + ks_size, "area outside keyslots area")
    for (o1, s1), (o2, _) in zip(areas, areas[1:]):
        need(o1 + s1 <= o2, "areas overlap")


def rebuild(img, mda, edit=None, area_shift_adjust=0):
    """Both copies rebuilt at metadata size mda (see relayout); edit, if
    given, changes the JSON before it is written."""
    obj = relayout(read_json(img, 0), mda, area_shift_adjust)
    if edit:
        edit(obj)
    write_copies(img, mda, obj)
    return obj


def metadata_case(mda, which_survives):
    """A valid header with metadata size mda.  Only one copy is kept so each
    size is tested on its own: the primary, or the secondary (found by
    libcryptsetup's scan of the possible secondary offsets)."""
    def build(img):
        obj = rebuild(img, mda)
        expect_valid_layout(obj, mda, len(img))
        if which_survives == "primary":
            kill(img, mda)
            expect_sealed(img, 0, MAGIC_PRIMARY)
            expect_killed(img, mda)
        else:
            kill(img, 0)
            expect_killed(img, 0)
            expect_sealed(img, mda, MAGIC_SECONDARY)
        # read back from the surviving copy
        got = read_json(img, 0 if which_survives == "primary" else mda)
        need(got == obj, "relaid JSON not read back")
    return build


def size_name(mda):
    return "%dk" % (mda // KIB) if mda < MIB else "%dm" % (mda // MIB)


def rebuilt_primary_case(name, verdict, mda, edit=None, area_shift_adjust=0, check=None):
    """Rebuilt at mda with an invalid twist; the secondary is killed so the
    twisted primary alone decides."""
    def build(img):
        obj = rebuild(img, mda, edit, area_shift_adjust)
        kill(img, mda)
        expect_sealed(img, 0, MAGIC_PRIMARY)
        expect_killed(img, mda)
        if check:
            need(check(read_json(img, 0)), "twist not found in the written JSON")
        need(read_json(img, 0) == obj, "rebuilt JSON not read back")
    CASES.append((name, verdict, build))


@case("invalid-json-size-c2", "F")
def invalid_json_size_c2(img):
    """Both binary headers say 32 KiB (secondary moved to 32 KiB) but
    config.json_size still says 12 KiB.  Everything else stays consistent with
    the 12 KiB json_size, so only the size mismatch is wrong."""
    mda = 32 * KIB
    write_copies(img, mda, read_json(img, 0))
    need(read_json(img, mda)["config"]["json_size"] == "12288", "json_size changed")


for _mda in MDA_SIZES[1:]:
    CASES.append(("metadata-size-" + size_name(_mda), "R", metadata_case(_mda, "primary")))
for _mda in MDA_SIZES:
    CASES.append(("metadata-size-%s-secondary" % size_name(_mda), "R",
                  metadata_case(_mda, "secondary")))


def put_ks7_past_keyslots_end(obj):
    end = 2 * 64 * KIB + int(obj["config"]["keyslots_size"])
    obj["keyslots"]["7"]["area"]["offset"] = str(end - int(obj["keyslots"]["7"]["area"]["size"]) + 1)


def grow_keyslots_size_into_data(obj):
    obj["config"]["keyslots_size"] = str(int(obj["config"]["keyslots_size"]) + 4096)


# Areas shifted one byte short: the first starts on the secondary's last JSON byte.
rebuilt_primary_case("metadata-size-64k-inv-area-c0", "F", 64 * KIB, area_shift_adjust=-1,
                     check=lambda o: min(a for a, _ in ks_areas(o)) == 2 * 64 * KIB - 1)
# ks7 ends one byte past the keyslots area.
rebuilt_primary_case("metadata-size-64k-inv-area-c1", "F", 64 * KIB, put_ks7_past_keyslots_end,
                     check=lambda o: max(a + s for a, s in ks_areas(o))
                     == 2 * 64 * KIB + int(o["config"]["keyslots_size"]) + 1)
# keyslots_size reaching 4 KiB into the data segment.
rebuilt_primary_case("metadata-size-64k-inv-keyslots-size-c0", "F", 64 * KIB,
                     grow_keyslots_size_into_data,
                     check=lambda o: int(o["config"]["keyslots_size"]) + 2 * 64 * KIB
                     == int(o["segments"]["0"]["offset"]) + 4096)

BOGUS_HDR_SIZE = 2 * GIB


def bogus_size(img, off, real_mda):
    """hdr_size far beyond the 4 MiB limit.  The checksum stays right for the
    real 1 MiB area, so only the size itself is wrong."""
    put_u64(img, off + OFF_HDR_SIZE, BOGUS_HDR_SIZE)
    seal(img, off, real_mda - BIN_HDR_SIZE)
    expect_sealed(img, off, bytes(img[off:off + 6]), real_mda - BIN_HDR_SIZE)
    need(hdr_size(img, off) == BOGUS_HDR_SIZE, "bogus hdr_size not written")


@case("metadata-size-invalid", "F")
def metadata_size_invalid(img):
    mda = MIB
    rebuild(img, mda)
    bogus_size(img, 0, mda)
    kill(img, mda)  # only the bogus primary may be considered
    expect_killed(img, mda)


@case("metadata-size-invalid-secondary", "F")
def metadata_size_invalid_secondary(img):
    mda = MIB
    rebuild(img, mda)
    bogus_size(img, mda, mda)
    kill(img, 0)  # only the bogus secondary (at its right offset) remains
    expect_killed(img, 0)
    need(get_u64(img, mda + OFF_HDR_OFFSET) == mda, "secondary hdr_offset")


# Malformed objects in both copies (nothing to fall back on).
both_case("invalid-tokens", "F", Set("tokens", 42))
both_case("invalid-top-objects", "F", Set("tokens", 42), Set("digests", 42),
          Set("keyslots", []), Set("segments", "hi"))
both_case("keyslot-invalid-area", "F", Set("keyslots/0/area", 42))
both_case("keyslot-invalid-objects", "F", Set("keyslots/0/kdf", 42), Set("keyslots/0/af", 42))
both_case("keyslot-invalid-af", "F", Set("keyslots/0/af/type", 42))
both_case("keyslot-invalid-area-size", "F", Set(ks_area("0", "size"), str(2**64 - 1)))


# --------------------------------------------------------------------------
# Verdict classes found by differential mutation (issue 14): where luksvol's
# reader once disagreed with cryptsetup's.  Both copies carry the mutation.

def rename_keyslot(old, new, in_digest):
    """Keyslot old becomes keyslot new; the digest keeps naming old, or
    names new too."""
    def apply(obj):
        ks = obj["keyslots"]
        ks[new] = ks.pop(old)
        if in_digest:
            keys = obj["digests"]["0"]["keyslots"]
            keys[keys.index(old)] = new

    def holds(obj):
        keys = obj["digests"]["0"]["keyslots"]
        return (new in obj["keyslots"] and old not in obj["keyslots"]
                and (new in keys) == in_digest and (old in keys) != in_digest)
    return Custom(apply, holds)


def kdf_with_extra_field(slot):
    """A keyslot's kdf made argon2id (the base has the pre-release "argon2",
    which nothing checks) with one field argon2id does not have."""
    def apply(obj):
        obj["keyslots"][slot]["kdf"]["type"] = "argon2id"
        obj["keyslots"][slot]["kdf"]["foo"] = "bar"

    def holds(obj):
        kdf = obj["keyslots"][slot]["kdf"]
        return kdf["type"] == "argon2id" and kdf["foo"] == "bar" and len(kdf) == 6
    return Custom(apply, holds)


# An empty keyslot cipher: cryptsetup wants a non-empty string.
both_case("keyslot-area-encryption-empty", "F", Set(ks_area("0", "encryption"), ""))
# Ids are strings: "01" is not keyslot 1, whether the digest names "1" (no
# such keyslot) or "01" (cryptsetup counts digests of keyslot atoi("01")).
both_case("keyslot-id-leading-zero", "F", rename_keyslot("1", "01", False))
both_case("keyslot-id-leading-zero-in-digest", "F", rename_keyslot("1", "01", True))
# Repaired in memory (the extra field dropped), as cryptsetup does.
both_case("keyslot-kdf-extra-field", "R", kdf_with_extra_field("0"))
# One digest naming keyslot 1 twice still counts as one digest.
both_case("digest-lists-keyslot-twice", "R", append_to("digests/0/keyslots", "1"))


# --------------------------------------------------------------------------
# Non-compact JSON followed by a write (token remove rewrites the header).

TOKEN_A = {"type": "a", "keyslots": []}


def non_compact(js, pad_to_4k):
    """Whitespace after the first '"type":' -- one blank, or enough blanks to
    make the JSON a multiple of 4 KiB long (a full 4 KiB if it already is)."""
    blanks = 1 if not pad_to_4k else 4096 - len(js) % 4096
    marker = b'"type":"luks2"'
    need(marker in js, "no luks2 keyslot type in the JSON")
    return js.replace(marker, b'"type":' + b" " * blanks + b'"luks2"', 1)


def non_compact_case(name, pad_to_4k):
    def build(img):
        for off in (0, secondary_off(img)):
            obj = read_json(img, off)
            obj["tokens"]["0"] = dict(TOKEN_A)
            js = compact(obj)
            raw = non_compact(js, pad_to_4k)
            need(len(raw) < area_len_of(img, off), "non-compact JSON too long")
            put_area(img, off, raw)
            seal(img, off)
            got = json_area(img, off).rstrip(b"\0")
            need(len(got) > len(js) and json.loads(got) == obj, "non-compact JSON read back")
            if pad_to_4k:
                need(len(got) % 4096 == 0, "JSON not 4 KiB aligned")
        expect_both(img)
    CASES.append((name, "T", build))


non_compact_case("non-compact-json-token-0", False)
non_compact_case("non-compact-json-4k-token-0", True)


# --------------------------------------------------------------------------
# Verdicts where an installed cryptsetup really differs from the table
# (which follows 2.8.x): {case: (verdict, why)}; the reason goes to the
# manifest's third column.  Fill in only after ruling out a generator bug.
# cryptsetup 2.6.1 agrees with the table on all cases, so this is empty.
VERSION_OVERRIDES = {}


# --------------------------------------------------------------------------
# Driver

def load_base(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] == b"\xfd7zXZ\0":
        data = lzma.decompress(data)
    img = bytearray(data)
    need(bytes(img[0:6]) == MAGIC_PRIMARY, "base: no primary LUKS2 magic")
    need(hdr_size(img, 0) == BASE_MDA, "base: hdr_size is not 16 KiB")
    expect_both(img)
    expect_base_layout(read_json(img, 0))
    return img


def expect_base_layout(obj):
    """Facts about luks2_valid_hdr.img that some cases build on."""
    seg = obj["segments"]["0"]
    need(list(obj["segments"]) == ["0"] and seg["offset"] == str(4 * MIB)
         and seg["size"] == "dynamic", "base: segment 0 is not dynamic at 4 MiB")
    need(sorted(obj["keyslots"]) == [str(i) for i in range(8)], "base: keyslots 0..7")
    need(all(s == 128 * KIB for _, s in ks_areas(obj)), "base: 128 KiB keyslot areas")
    need(max(ks_areas(obj))[0] == int(obj["keyslots"]["6"]["area"]["offset"]),
         "base: keyslot 6 is not the last area")
    need(obj["config"]["keyslots_size"] == str(4 * MIB - 2 * BASE_MDA), "base: keyslots_size")
    need(obj["tokens"] == {} and list(obj["digests"]) == ["0"], "base: tokens/digests")
    need(len(obj["digests"]["0"]["keyslots"]) == 8, "base: digest 0 owns 8 keyslots")


ZERO_CHUNK = bytes(64 * KIB)


def write_sparse(path, img):
    """The images are almost all zeros: leave holes instead of writing them."""
    step = len(ZERO_CHUNK)
    with open(path, "wb") as f:
        for pos in range(0, len(img), step):
            chunk = img[pos:pos + step]  # a copy, but compared with memcmp
            if chunk != ZERO_CHUNK[:len(chunk)]:
                f.seek(pos)
                f.write(chunk)
        f.truncate(len(img))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="luks2_valid_hdr.img (or .img.xz)")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()

    names = [n for n, _, _ in CASES]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        sys.exit("mutate.py: duplicate case names: %s" % ", ".join(dupes))

    base = load_base(args.base)
    os.makedirs(args.out, exist_ok=True)
    lines, failed = [], 0
    for name, verdict, build in CASES:
        img = bytearray(base)
        try:
            build(img)
        except (CaseError, KeyError, ValueError) as e:
            print("mutate.py: %s: self-check failed: %s" % (name, e), file=sys.stderr)
            failed += 1
            continue
        write_sparse(os.path.join(args.out, name + ".img"), img)
        if name in VERSION_OVERRIDES:
            v, why = VERSION_OVERRIDES[name]
            lines.append("%s\t%s\t%s" % (name, v, why))
        else:
            lines.append("%s\t%s" % (name, verdict))
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        f.write("".join(line + "\n" for line in lines))
    if failed:
        sys.exit("mutate.py: %d case(s) failed their self-check" % failed)


if __name__ == "__main__":
    main()
