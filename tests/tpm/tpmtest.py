#!/usr/bin/python3
# tpmtest.py: the independent side of tests/interop/tpm.sh, written from the
# TPM 2.0 specification, systemd-stub's .pcrsig format and Talos's source
# (talos-encryption.md §2.4, §3), sharing no code with src/tpm:
#
#   keygen PRIV_PEM PUB_PEM [BITS]        an RSA PCR-signing key pair
#   extend-hex TEXT                       SHA-256 of TEXT in hex (a PCR extend)
#   pcr-after TEXT...                     a SHA-256 PCR from zero after extending each TEXT
#   pcrsig PRIV_PEM PCR11_HEX OUT_JSON    systemd-stub's .pcrsig for PCR 11 = PCR11_HEX
#   swap-signature GOOD_JSON OTHER_JSON OUT_JSON
#                                         GOOD's .pcrsig with OTHER's signature (the
#                                         right key's fingerprint, another key's signature)
#   policy-digest PCR11_HEX OUT_BIN       the PolicyPCR(11) digest, raw (tpm2-tools oracle)
#   signature PRIV_PEM PCR11_HEX OUT_BIN  its RSASSA-SHA256 signature, raw
#   tpm2b-public PUB_PEM OUT_BIN          the key as Talos's RSAPubKeyTemplate, TPM2B_PUBLIC
#   sealing-policy PUB_PEM|- PCRS HEX...  the sealing policy Talos computes (hex)
#   srk-unique OUT_BIN                    tpm2_createprimary -u file for go-tpm's SRK
#   check-token TOKEN_JSON SLOT PCRS PUBKEY_PCRS POLICY_HEX [pcr-only]
#                                         the token field by field as Talos writes it
#   make-token PRIV_BIN PUB_BIN SRK_NAME_BIN POLICY_HEX SLOT PCRS OUT_JSON
#                                         a Talos token around blobs tpm2-tools sealed
#   legacy TOKEN_IN TOKEN_OUT             the same token as Talos < 1.12 wrote it
#   split-token TOKEN_JSON PRIV_OUT PUB_OUT NAME_OUT  the blobs of a token, raw
import base64
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TPM_CC_POLICY_PCR = 0x0000017F
TPM_CC_POLICY_AUTHORIZE = 0x0000016A
ALG_SHA256 = 0x000B
ALG_RSA = 0x0001
ALG_NULL = 0x0010
ALG_KEYEDHASH = 0x0008
# TPMA_OBJECT
FIXED_TPM, FIXED_PARENT, USER_WITH_AUTH, NO_DA, DECRYPT, SIGN = (
    0x2, 0x10, 0x40, 0x400, 0x20000, 0x40000)


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def pcr_selection(pcrs):
    bitmap = bytearray(3)
    for p in pcrs:
        bitmap[p // 8] |= 1 << (p % 8)
    return struct.pack(">IHB", 1, ALG_SHA256, 3) + bytes(bitmap)


def policy_pcr(digest, pcrs, values):
    # the TPM hashes the selected PCRs in ascending order
    composite = sha256(*[values[p] for p in sorted(pcrs)])
    return sha256(digest, struct.pack(">I", TPM_CC_POLICY_PCR), pcr_selection(pcrs), composite)


def load_public(path):
    with open(path, "rb") as f:
        return serialization.load_pem_public_key(f.read())


def rsa_tpmt_public(pub):
    """Talos keys.go RSAPubKeyTemplate, marshalled (TPM 2.0 Part 2, 12.2.4)."""
    n = pub.public_numbers().n
    modulus = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return (struct.pack(">HHI", ALG_RSA, ALG_SHA256, DECRYPT | SIGN | USER_WITH_AUTH)
            + struct.pack(">H", 0)                      # authPolicy
            + struct.pack(">HH", ALG_NULL, ALG_NULL)    # symmetric, scheme
            + struct.pack(">HI", n.bit_length(), pub.public_numbers().e)
            + struct.pack(">H", len(modulus)) + modulus)


def name_of(tpmt_public):
    return struct.pack(">H", ALG_SHA256) + sha256(tpmt_public)


def sealing_policy(pub_path, pcrs, values):
    digest = bytes(32)
    if pub_path != "-":
        key_name = name_of(rsa_tpmt_public(load_public(pub_path)))
        # PolicyAuthorize resets the digest, then PolicyUpdate with an empty policyRef
        digest = sha256(sha256(bytes(32), struct.pack(">I", TPM_CC_POLICY_AUTHORIZE), key_name))
    if pcrs:
        digest = policy_pcr(digest, pcrs, values)
    return digest


def parse_pcrs(text):
    return [] if text in ("", "none") else [int(x) for x in text.split(",")]


def pcr11_policy(pcr11_hex):
    return policy_pcr(bytes(32), [11], {11: bytes.fromhex(pcr11_hex)})


def sign(priv_path, digest):
    with open(priv_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    # systemd-measure signs the policy digest with RSASSA-PKCS1-v1_5/SHA-256
    return key.sign(digest, padding.PKCS1v15(), hashes.SHA256())


def fingerprint(pub):
    return hashlib.sha256(pub.public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.PKCS1)).hexdigest()


def cmd_keygen(priv_path, pub_path, bits="2048"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=int(bits))
    with open(priv_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(pub_path, "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def cmd_pcrsig(priv_path, pcr11_hex, out_path):
    with open(priv_path, "rb") as f:
        pub = serialization.load_pem_private_key(f.read(), password=None).public_key()
    pol = pcr11_policy(pcr11_hex)
    doc = {"sha256": [{"pcrs": [11], "pkfp": fingerprint(pub), "pol": pol.hex(),
                       "sig": base64.b64encode(sign(priv_path, pol)).decode()}]}
    with open(out_path, "w") as f:
        json.dump(doc, f)


def cmd_swap_signature(good_path, other_path, out_path):
    good, other = (json.load(open(p)) for p in (good_path, other_path))
    good["sha256"][0]["sig"] = other["sha256"][0]["sig"]
    with open(out_path, "w") as f:
        json.dump(good, f)


def b64(data):
    return base64.b64encode(data).decode()


def go_token(user_fields):
    """The bytes encoding/json writes for go-blockdevice's luks.Token."""
    user = ",".join('"%s":%s' % (k, json.dumps(v, separators=(",", ":")))
                    for k, v in user_fields)
    return '{"UserData":{%s},"type":"talos-tpm2","keyslots":[]}' % user


def check(cond, what):
    if not cond:
        sys.exit("check-token: " + what)


def check_tpm2b_public(blob, policy):
    size, = struct.unpack(">H", blob[:2])
    check(size == len(blob) - 2, "sealed_blob_public: TPM2B size %d, %d follow" % (size, len(blob) - 2))
    typ, name_alg, attrs, pol_size = struct.unpack(">HHIH", blob[2:12])
    check(typ == ALG_KEYEDHASH and name_alg == ALG_SHA256, "sealed_blob_public: not KEYEDHASH/SHA-256")
    check(attrs == FIXED_TPM | FIXED_PARENT | NO_DA, "sealed_blob_public: attributes 0x%x" % attrs)
    check(blob[12:12 + pol_size] == policy, "sealed_blob_public: authPolicy is not policy_hash")


def cmd_check_token(path, slot, pcrs, pubkey_pcrs, policy_hex, mode=""):
    text = open(path).read()
    tok = json.loads(text)
    check(list(tok) == ["UserData", "type", "keyslots"], "outer keys %s" % list(tok))
    check(tok["type"] == "talos-tpm2" and tok["keyslots"] == [], "type/keyslots")
    u = tok["UserData"]
    pcrs, pubkey_pcrs = parse_pcrs(pcrs), parse_pcrs(pubkey_pcrs)
    want = ["keyslots", "sealed_blob_private", "sealed_blob_public"] + (["pcrs"] if pcrs else []) \
        + ["pubkey_pcrs", "alg", "encryption_version", "policy_hash", "key_name"] \
        + (["luksvol_policy"] if mode else [])
    check(list(u) == want, "UserData keys %s, want %s" % (list(u), want))
    check(u["keyslots"] == [int(slot)], "keyslots %r" % u["keyslots"])
    check(u.get("pcrs", []) == pcrs, "pcrs %r" % u.get("pcrs"))
    check(u["pubkey_pcrs"] == pubkey_pcrs, "pubkey_pcrs %r" % u["pubkey_pcrs"])
    check(u["alg"] == "sha256" and u["encryption_version"] == "1", "alg/encryption_version")
    for k in ("sealed_blob_private", "sealed_blob_public", "policy_hash", "key_name"):
        raw = base64.b64decode(u[k], validate=True)
        check(b64(raw) == u[k], "%s: not canonical padded standard base64" % k)
    policy = base64.b64decode(u["policy_hash"])
    check(policy.hex() == policy_hex, "policy_hash %s, want %s" % (policy.hex(), policy_hex))
    check_tpm2b_public(base64.b64decode(u["sealed_blob_public"]), policy)
    priv = base64.b64decode(u["sealed_blob_private"])
    check(struct.unpack(">H", priv[:2])[0] == len(priv) - 2, "sealed_blob_private: TPM2B size")
    name = base64.b64decode(u["key_name"])
    check(len(name) == 36 and name[:4] == b"\x00\x22\x00\x0b", "key_name: not a TPM2B_NAME of SHA-256")
    if mode:
        check(u["luksvol_policy"] == mode, "luksvol_policy %r" % u["luksvol_policy"])
    # byte for byte what Go's encoding/json makes of the same values
    check(text == go_token(list(u.items())), "not the bytes Go would write")


def cmd_make_token(priv, pub, name, policy_hex, slot, pcrs, out):
    read = lambda p: open(p, "rb").read()
    name_raw = read(name)
    fields = [("keyslots", [int(slot)]), ("sealed_blob_private", b64(read(priv))),
              ("sealed_blob_public", b64(read(pub)))]
    if parse_pcrs(pcrs):
        fields.append(("pcrs", parse_pcrs(pcrs)))
    fields += [("pubkey_pcrs", [11]), ("alg", "sha256"), ("encryption_version", "1"),
               ("policy_hash", b64(bytes.fromhex(policy_hex))),
               ("key_name", b64(struct.pack(">H", len(name_raw)) + name_raw))]
    open(out, "w").write(go_token(fields))


def cmd_legacy(path, out):
    tok = json.loads(open(path).read())
    u = tok["UserData"]
    # Talos < 1.12 (git show 895133de9^): pcrs [11], no pubkey_pcrs, no encryption_version
    fields = [("keyslots", u["keyslots"]), ("sealed_blob_private", u["sealed_blob_private"]),
              ("sealed_blob_public", u["sealed_blob_public"]), ("pcrs", [11]), ("alg", "sha256"),
              ("policy_hash", u["policy_hash"]), ("key_name", u["key_name"])]
    open(out, "w").write(go_token(fields))


def cmd_split_token(path, priv_out, pub_out, name_out):
    u = json.loads(open(path).read())["UserData"]
    open(priv_out, "wb").write(base64.b64decode(u["sealed_blob_private"]))
    open(pub_out, "wb").write(base64.b64decode(u["sealed_blob_public"]))
    open(name_out, "wb").write(base64.b64decode(u["key_name"])[2:])


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "keygen":
        cmd_keygen(*args)
    elif cmd == "extend-hex":
        print(hashlib.sha256(args[0].encode()).hexdigest())
    elif cmd == "pcr-after":
        value = bytes(32)
        for text in args:
            value = sha256(value, sha256(text.encode()))
        print(value.hex())
    elif cmd == "pcrsig":
        cmd_pcrsig(*args)
    elif cmd == "swap-signature":
        cmd_swap_signature(*args)
    elif cmd == "policy-digest":
        open(args[1], "wb").write(pcr11_policy(args[0]))
    elif cmd == "signature":
        open(args[2], "wb").write(sign(args[0], pcr11_policy(args[1])))
    elif cmd == "tpm2b-public":
        area = rsa_tpmt_public(load_public(args[0]))
        open(args[1], "wb").write(struct.pack(">H", len(area)) + area)
    elif cmd == "sealing-policy":
        pcrs = parse_pcrs(args[1])
        values = dict(zip(sorted(pcrs), [bytes.fromhex(h) for h in args[2:]]))
        print(sealing_policy(args[0], pcrs, values).hex())
    elif cmd == "srk-unique":
        # tpm2-tools reads -u as the C struct TPMS_ECC_POINT: two TPM2B_ECC_PARAMETER
        # (a little-endian UINT16 size, then a 128-byte buffer)
        point = struct.pack("<H", 32) + bytes(128)
        open(args[0], "wb").write(point + point)
    elif cmd == "check-token":
        cmd_check_token(*args)
    elif cmd == "make-token":
        cmd_make_token(*args)
    elif cmd == "legacy":
        cmd_legacy(*args)
    elif cmd == "split-token":
        cmd_split_token(*args)
    else:
        sys.exit("tpmtest.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
