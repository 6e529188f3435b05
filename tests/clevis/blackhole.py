#!/usr/bin/python3
# blackhole.py PORT: listens on 127.0.0.1:PORT, accepts every connection and
# never answers (a tang server that hangs).  Prints "ready" once listening.
import socket
import sys

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(64)
print("ready", flush=True)
held = []
while True:
    held.append(listener.accept())
