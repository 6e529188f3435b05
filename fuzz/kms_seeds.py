#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""kms_seeds.py DIR: seed inputs of the kms_wire fuzz target (fuzz/kms_wire.c).

The first byte picks the parser: 0 reply (lines, NUL, body), 1 Response
protobuf, 2 token JSON, 3 endpoint.  The replies are what libcurl handed
kms_call from tests/kms/server.py in each of its modes; files are named by
the SHA-1 of their content, as libFuzzer names corpus files.
"""
import base64
import hashlib
import os
import sys

CRLF = b"\r\n"


def reply(headers, body, trailers):
    lines = b"".join(h + CRLF for h in headers) + CRLF + b"".join(t + CRLF for t in trailers)
    return b"\x00" + lines + b"\x00" + body


def frame(msg, declared=None):
    n = len(msg) if declared is None else declared
    return b"\x00" + n.to_bytes(4, "big") + msg


def response(data):
    return b"\x0a" + bytes([len(data)]) + data


OK = [b"HTTP/2 200 ", b"content-type: application/grpc",
      b"grpc-accept-encoding: identity, deflate, gzip"]
sealed = bytes(range(60))
seeds = [
    reply(OK, frame(response(sealed)), [b"grpc-status: 0"]),
    reply(OK, frame(response(bytes(range(32)))), [b"grpc-status: 0"]),
    reply(OK, frame(b"\x08\x01\xff"), [b"grpc-status: 0"]),
    reply([b"HTTP/2 200 ", b"content-type: application/grpc", b"grpc-status: 3",
           b"grpc-message: incorrect data length"], b"", []),
    reply([b"HTTP/2 200 ", b"content-type: application/grpc", b"grpc-status: 7",
           b"grpc-message: node%20not%20allowed"], b"", []),
    reply(OK, frame(b"\x0a\x3a" + b"\x01" * 8, 60), [b"grpc-status: 0"]),
    reply(OK, b"\x00\xff\xff\xff\xff\x0a\x20" + b"\x02" * 32, [b"grpc-status: 0"]),
    reply(OK, frame(response(b"\x03" * 32)), []),
    reply([b"HTTP/2 200 ", b"content-type: text/html"], b"<html>proxy says hello</html>", []),
    # an informational block first, then the reply
    b"\x00HTTP/2 100 \r\n\r\n" + reply([b"HTTP/2 200 ", b"content-type: application/grpc+proto"],
                                       frame(response(b"\x04" * 32)), [b"grpc-status: 0"])[1:],
    reply([b"HTTP/1.1 502 Bad Gateway", b"content-type: text/plain"], b"bad gateway", []),
    b"\x01" + response(sealed),
    b"\x01" + b"\x0a\x01\x01\x0a\x02\x02\x02",
    b"\x01" + b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    b"\x01" + b"\x12\x01\x00",
    b"\x02" + b'{"UserData":{"sealedData":"' + base64.b64encode(sealed) +
    b'"},"type":"sideroKMS","keyslots":[]}',
    b"\x02" + b'{ "type": "sideroKMS", "keyslots": [ ], "UserData": { "sealedData": "AQ==" } }',
    b"\x02" + b'{"type":"talos-tpm2","keyslots":[],"UserData":{"keyslots":[0]}}',
    b"\x02" + b'{"type":"sideroKMS","UserData":{"sealedData":null}}',
    b"\x03" + b"grpc://10.5.0.2:3445?jointoken=ttt",
    b"\x03" + b"https://10.5.0.2?jointoken=ttt",
    b"\x03" + b"10.5.0.2:3445",
    b"\x03" + b"https://user@[fe80::1]:4050/path#frag",
    b"\x03" + b"kms:4050/a://b",
]

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for seed in seeds:
    with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
        f.write(seed)
print("%d seeds in %s" % (len(seeds), out))
