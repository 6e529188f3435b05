#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""server.py: a sidero.kms.KMSService gRPC server on 127.0.0.1 for the tests.

It behaves as the reference server (kms-client pkg/server/server.go,
talos-encryption.md section 7): AES-256-GCM under a master key, Seal takes
exactly 32 bytes and returns nonce(12) || ciphertext || tag(16), 60 bytes;
Unseal takes exactly 60 and, when decryption fails, returns 32 random bytes
instead of an error.  The master key is random per run, or kept in
--master-key-file so a restarted server unseals what an earlier one sealed.

Run it with Debian's /usr/bin/python3 (python3-grpcio, python3-cryptography,
python3-h2):
  server.py --port-file F [--port N] [--tls CERT KEY] [--mode MODE] [--record F]
            [--master-key-file F] [--lifetime SECONDS] [--delay SECONDS]
It listens on an ephemeral port (or --port N: a server restarted where an
earlier one listened) and writes the number to --port-file once it accepts
connections.  It stops by itself after --lifetime seconds (default
300) or when its parent dies.  --record appends one line per Seal,
"seal <node_uuid> <hex of the data>", so a test can check what the client sent.

Modes, for the client's error paths:
  normal         the reference behaviour (gRPC over grpcio, plaintext or TLS)
  garbage        status OK with a message that is not a Response protobuf
  status         every call fails with PERMISSION_DENIED "node not allowed"
  random-unseal  Unseal always answers 32 random bytes (a failed decryption)
  hang           accepts the call and never answers
  truncated      a gRPC frame whose prefix claims more bytes than follow
  no-status      a message but no grpc-status anywhere
  not-grpc       HTTP 200 with content-type text/html
  huge           a frame prefix claiming 4 GiB - 1
The last four speak raw HTTP/2 through python3-h2 (plaintext only): grpcio
always frames correctly.
"""
import argparse
import ctypes
import os
import signal
import socket
import sys
import threading
import time

import grpc
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SERVICE = "sidero.kms.KMSService"
PASSPHRASE_SIZE = 32
NONCE_SIZE = 12
SEALED_SIZE = 16 + PASSPHRASE_SIZE + NONCE_SIZE
RAW_MODES = ("truncated", "no-status", "not-grpc", "huge")


def varint(buf, pos):
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def decode_request(buf):
    """Request{string node_uuid = 1; bytes data = 2}; last value wins."""
    fields = {1: b"", 2: b""}
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        if key & 7 != 2 or key >> 3 not in fields:
            raise ValueError("unexpected field %d type %d" % (key >> 3, key & 7))
        length, pos = varint(buf, pos)
        if pos + length > len(buf):
            raise ValueError("field overruns the message")
        fields[key >> 3] = buf[pos:pos + length]
        pos += length
    return fields[1].decode("utf-8"), fields[2]


def encode_varint(n):
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append(n & 0x7F | 0x80)
        n >>= 7


def encode_response(data):
    return b"\x0a" + encode_varint(len(data)) + data if data else b""


class KMS:
    def __init__(self, args, master_key):
        self.args = args
        self.aead = AESGCM(master_key)
        self.lock = threading.Lock()

    def prologue(self, request, context):
        if self.args.delay:
            time.sleep(self.args.delay)
        if self.args.mode == "hang":
            time.sleep(self.args.lifetime)
        if self.args.mode == "status":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "node not allowed")
        try:
            return decode_request(request)
        except ValueError as e:
            context.abort(grpc.StatusCode.INTERNAL, "grpc: error unmarshalling request: %s" % e)

    def seal(self, request, context):
        node_uuid, data = self.prologue(request, context)
        if len(data) != PASSPHRASE_SIZE:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "incorrect data length")
        if self.args.record:
            with self.lock, open(self.args.record, "a") as f:
                f.write("seal %s %s\n" % (node_uuid, data.hex()))
        if self.args.mode == "garbage":
            return b"\x08\x01\xff"
        nonce = os.urandom(NONCE_SIZE)
        return encode_response(nonce + self.aead.encrypt(nonce, data, None))

    def unseal(self, request, context):
        _, data = self.prologue(request, context)
        if len(data) != SEALED_SIZE:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "incorrect data length")
        if self.args.mode == "garbage":
            return b"\x0a\x40" + os.urandom(8)
        try:
            if self.args.mode == "random-unseal":
                raise ValueError("random-unseal mode")
            plain = self.aead.decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], None)
        except Exception:
            plain = os.urandom(PASSPHRASE_SIZE)
        return encode_response(plain)


def master_key(path):
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            key = f.read()
        if len(key) != 32:
            sys.exit("server.py: %s: not a 32-byte key" % path)
        return key
    key = AESGCM.generate_key(bit_length=256)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    return key


def serve_grpc(args):
    kms = KMS(args, master_key(args.master_key_file))
    raw = lambda b: b  # noqa: E731 -- messages stay bytes: no protoc, no generated code
    handlers = {
        "Seal": grpc.unary_unary_rpc_method_handler(kms.seal, raw, raw),
        "Unseal": grpc.unary_unary_rpc_method_handler(kms.unseal, raw, raw),
    }
    server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    if args.tls:
        with open(args.tls[0], "rb") as f:
            cert = f.read()
        with open(args.tls[1], "rb") as f:
            key = f.read()
        port = server.add_secure_port("127.0.0.1:%d" % args.port,
                                      grpc.ssl_server_credentials([(key, cert)]))
    else:
        port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    if port == 0:
        sys.exit("server.py: cannot listen on 127.0.0.1:%d" % args.port)
    server.start()
    return port, lambda: server.stop(0)


def raw_reply(mode):
    """Headers, body and trailers of one misbehaving response."""
    headers = [(":status", "200"), ("content-type", "application/grpc")]
    trailers = [("grpc-status", "0")]
    if mode == "truncated":
        body = b"\x00\x00\x00\x00\x3c" + b"\x0a\x3a" + b"\x01" * 8
    elif mode == "huge":
        body = b"\x00\xff\xff\xff\xff" + b"\x0a\x20" + b"\x02" * 32
    elif mode == "no-status":
        body = b"\x00\x00\x00\x00\x22" + b"\x0a\x20" + b"\x03" * 32
        trailers = []
    else:  # not-grpc
        headers = [(":status", "200"), ("content-type", "text/html")]
        body = b"<html>proxy says hello</html>"
        trailers = []
    return headers, body, trailers


def raw_connection(sock, mode):
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamEnded):
                    headers, body, trailers = raw_reply(mode)
                    sid = event.stream_id
                    conn.send_headers(sid, headers)
                    conn.send_data(sid, body, end_stream=not trailers)
                    if trailers:
                        conn.send_headers(sid, trailers, end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        pass
    finally:
        sock.close()


def serve_raw(args):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(8)

    def accept_loop():
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=raw_connection, args=(sock, args.mode), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return listener.getsockname()[1], listener.close


def die_with_parent():
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # The parent may have died before prctl: then we were reparented.
    if os.getppid() != ARGS_PARENT:
        sys.exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--mode", default="normal",
                   choices=("normal", "garbage", "status", "random-unseal", "hang") + RAW_MODES)
    p.add_argument("--record")
    p.add_argument("--master-key-file")
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--delay", type=float, default=0)
    args = p.parse_args()
    if args.mode in RAW_MODES and args.tls:
        sys.exit("server.py: mode %s is plaintext only" % args.mode)

    die_with_parent()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    port, stop = (serve_raw if args.mode in RAW_MODES else serve_grpc)(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    stopped.wait(args.lifetime)
    stop()
    # A hanging handler's thread would keep the interpreter alive.
    os._exit(0)


ARGS_PARENT = os.getppid()
if __name__ == "__main__":
    main()
