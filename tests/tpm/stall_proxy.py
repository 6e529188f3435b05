#!/usr/bin/python3
# stall_proxy.py PORT TARGET_PORT ANSWERED: a TPM that stops answering in
# the middle of an operation.  It listens on 127.0.0.1:PORT (TPM commands)
# and PORT+1 (swtpm's control channel) and relays both to swtpm on
# TARGET_PORT and TARGET_PORT+1; swtpm's TCTI makes one data connection per
# command, and after ANSWERED of them every command is read and never
# answered (the connection is held open).  Runs until killed; prints
# "ready" once it listens.
import socket
import sys
import threading

held = []


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def forward(client, target_port):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=relay, args=(client, upstream), daemon=True).start()
    threading.Thread(target=relay, args=(upstream, client), daemon=True).start()


def serve(listener, target_port, answered):
    count = 0
    while True:
        client, _ = listener.accept()
        count += 1
        if answered is not None and count > answered:
            held.append(client)  # the command is never answered
            continue
        forward(client, target_port)


def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    return s


def main():
    port, target, answered = (int(a) for a in sys.argv[1:4])
    data, ctrl = listen(port), listen(port + 1)
    threading.Thread(target=serve, args=(ctrl, target + 1, None), daemon=True).start()
    print("ready", flush=True)
    serve(data, target, answered)


if __name__ == "__main__":
    main()
