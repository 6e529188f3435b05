#!/usr/bin/python3
# meta_seeds.py OUTDIR: seeds of the meta_adv fuzz target (fuzz/meta_adv.c):
# compact META images (control byte, two length-prefixed copy prefixes, the
# legacy ADV) and tag 9 JSON values (control byte 2), the shapes Talos
# writes.  The harness seals copies itself, so seeds carry only records.
import os
import struct
import sys

MODERN = (b'{"EncryptionProvider":"luks2","EncryptionKeys":[{"KeySlot":0,"KeyStatic":'
          b'{"KeyData":"secret"},"KeyNodeID":null,"KeyKMS":null,"KeyTPM":null,'
          b'"KeyLockToSTATE":null},{"KeySlot":1,"KeyStatic":null,"KeyNodeID":{},"KeyKMS":null,'
          b'"KeyTPM":null,"KeyLockToSTATE":null}],"EncryptionCipher":"aes-xts-plain64",'
          b'"EncryptionKeySize":0,"EncryptionBlockSize":0,"EncryptionPerfOptions":null,'
          b'"EncryptionAllowDiscards":null}')
KINDS = (b'{"EncryptionProvider":"luks2","EncryptionKeys":[{"KeySlot":2,"KeyKMS":'
         b'{"KMSEndpoint":"https://kms:4050"}},{"KeySlot":3,"KeyTPM":{"TPMOptions":'
         b'{"PCRs":[7,11]},"TPMCheckSecurebootStatusOnEnroll":true}},{"KeySlot":4,"KeyTPM":'
         b'{"TPMOptions":{"PCRs":[]}}}],"EncryptionCipher":"xchacha12,aes-adiantum-plain64",'
         b'"EncryptionKeySize":256,"EncryptionBlockSize":4096,"EncryptionPerfOptions":'
         b'["no_read_workqueue"],"EncryptionAllowDiscards":true}')
LEGACY = (b'{"EncryptionProvider":"","EncryptionKeys":[{"KeyStatic":{"KeyData":"secret"},'
          b'"KeyNodeID":null,"KeyKMS":null,"KeySlot":0,"KeyTPM":null},{"KeyStatic":null,'
          b'"KeyNodeID":{},"KeyKMS":null,"KeySlot":1,"KeyTPM":{"TPMCheckSecurebootStatusOnEnroll":'
          b'false}}],"EncryptionCipher":"aes-xts-plain64","EncryptionKeySize":0,'
          b'"EncryptionBlockSize":0,"EncryptionPerfOptions":null}')


def records(tags):
    out = b"\0\0\0\0"  # magic1, set by the harness
    for tag, value in tags:
        out += struct.pack(">II", tag, len(value)) + value
    return out


def legacy(tags):
    out = bytearray(8)
    for tag, value in tags:
        out += bytes([tag, len(value)]) + value
    return bytes(out)


def image(copy1, copy2, legacy_adv=b"", ctl=0):
    return (bytes([ctl]) + struct.pack(">H", len(copy1)) + copy1 +
            struct.pack(">H", len(copy2)) + copy2 + legacy_adv)


def main(out):
    os.makedirs(out, exist_ok=True)
    full = records([(9, MODERN), (15, b"12345678-1234-5678-1234-567812345678"), (6, b"v1.9")])
    seeds = {
        "json-modern": b"\x02" + MODERN,
        "json-kinds": b"\x02" + KINDS,
        "json-legacy": b"\x02" + LEGACY,
        "json-null": b"\x02null",
        "image-tags": image(full, full),
        "image-copy2-only": image(b"", full),
        "image-copies-differ": image(full, records([(9, LEGACY)])),
        "image-legacy": image(b"", b"", legacy([(6, b"v1.3"), (9, b"{}")]) * 1),
        "image-raw-blank": image(b"", b"", ctl=1),
        "image-overrun": image(records([(7, b"x")])[:8] + struct.pack(">I", 0x7fffffff), full),
        "image-high-tag": image(records([(0x109, b"a"), (9, KINDS)]), b""),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
