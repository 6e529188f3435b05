#!/usr/bin/python3
# adv_ref.py: an independent META writer and reader, written from the byte
# layout in talos-encryption.md §6 (not from src/meta), for the tests that
# check luksvol against it both ways.
#
#   adv_ref.py write IMAGE SIZE [TAG=HEX ...] [legacy:TAG=HEX ...] [--break-copy1]
#       a SIZE-byte META image: both Talos ADV copies holding the tags,
#       and, when legacy: tags are given, a syslinux ADV in the last 1024
#       bytes; --break-copy1 flips a byte of copy 1's first record
#   adv_ref.py read IMAGE
#       "copy1 valid|bad", "copy2 valid|bad", then "talos TAG HEX" for the
#       copy Talos reads (1, else 2), then "legacy TAG HEX", sorted by tag
import hashlib
import struct
import sys

L = 256 * 1024
MAGIC1, MAGIC2 = 0x5A4B3C2D, 0xA5B4C3D2
SYS_HEAD, SYS_SUM, SYS_TAIL = 0x5A2D2FA5, 0xA3041767, 0xDD28BF64


def talos_copy(tags):
    body = bytearray(L)
    struct.pack_into(">I", body, 0, MAGIC1)
    pos = 4
    # Largest tag first: nothing in the format asks for an order.
    for tag in sorted(tags, reverse=True):
        value = tags[tag]
        if pos + 8 + len(value) > L - 36:
            raise SystemExit("tags do not fit")
        struct.pack_into(">II", body, pos, tag, len(value))
        body[pos + 8:pos + 8 + len(value)] = value
        pos += 8 + len(value)
    struct.pack_into(">I", body, L - 4, MAGIC2)
    body[L - 36:L - 4] = hashlib.sha256(bytes(body)).digest()
    return body


def talos_parse(copy):
    if struct.unpack_from(">I", copy, 0)[0] != MAGIC1:
        return None
    if struct.unpack_from(">I", copy, L - 4)[0] != MAGIC2:
        return None
    zeroed = copy[:L - 36] + bytes(32) + copy[L - 4:]
    if hashlib.sha256(zeroed).digest() != copy[L - 36:L - 4]:
        return None
    tags, data = {}, copy[4:L - 36]
    while len(data) >= 8:
        tag, size = struct.unpack_from(">II", data, 0)
        if tag == 0:
            break
        if size > len(data) - 8:
            return None
        tags[tag & 0xFF] = bytes(data[8:8 + size])
        data = data[8 + size:]
    return tags


def syslinux_copy(tags):
    body = bytearray(512)
    pos = 8
    for tag in sorted(tags):
        value = tags[tag]
        body[pos] = tag
        body[pos + 1] = len(value)
        body[pos + 2:pos + 2 + len(value)] = value
        pos += 2 + len(value)
    if pos > 508:
        raise SystemExit("legacy tags do not fit")
    words = struct.unpack_from("<125I", body, 8)
    struct.pack_into("<II", body, 0, SYS_HEAD, (SYS_SUM - sum(words)) & 0xFFFFFFFF)
    struct.pack_into("<I", body, 508, SYS_TAIL)
    return body


def syslinux_parse(copy):
    head, csum = struct.unpack_from("<II", copy, 0)
    if head != SYS_HEAD or struct.unpack_from("<I", copy, 508)[0] != SYS_TAIL:
        return None
    if (csum + sum(struct.unpack_from("<125I", copy, 8))) & 0xFFFFFFFF != SYS_SUM:
        return None
    tags, pos = {}, 8
    while pos < 506 and copy[pos] != 0:
        tag, size = copy[pos], copy[pos + 1]
        if pos + 2 + size > 508:
            break
        tags.setdefault(tag, bytes(copy[pos + 2:pos + 2 + size]))
        pos += 2 + size
    return tags


def write(path, size, args):
    tags, legacy, brk = {}, {}, False
    for arg in args:
        if arg == "--break-copy1":
            brk = True
            continue
        target = tags
        if arg.startswith("legacy:"):
            target, arg = legacy, arg[len("legacy:"):]
        tag, _, value = arg.partition("=")
        target[int(tag, 0)] = bytes.fromhex(value)
    image = bytearray(size)
    copy = talos_copy(tags)
    image[0:L] = copy
    image[L:2 * L] = copy
    if brk:
        image[12] ^= 0xFF
    if legacy:
        sys_copy = syslinux_copy(legacy)
        image[size - 1024:size - 512] = sys_copy
        image[size - 512:size] = sys_copy
    with open(path, "wb") as f:
        f.write(image)


def read(path):
    with open(path, "rb") as f:
        image = f.read()
    copies = [talos_parse(image[0:L]), talos_parse(image[L:2 * L])]
    for i, tags in enumerate(copies):
        print("copy%d %s" % (i + 1, "valid" if tags is not None else "bad"))
    tags = copies[0] if copies[0] is not None else copies[1] or {}
    for tag in sorted(tags):
        print("talos %d %s" % (tag, tags[tag].hex()))
    if len(image) >= 2 * L + 1024:
        legacy = syslinux_parse(image[-1024:-512]) or syslinux_parse(image[-512:]) or {}
        for tag in sorted(legacy):
            print("legacy %d %s" % (tag, legacy[tag].hex()))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    else:
        raise SystemExit(__doc__ or "usage: adv_ref.py write|read ...")
