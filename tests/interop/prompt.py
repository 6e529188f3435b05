#!/usr/bin/python3
"""prompt.py LUKSVOL IMAGE: drives luksvol's terminal prompts through a
pseudo-terminal: format asks twice (a mismatch is refused), echo is off,
and the passphrase typed then opens the volume in cryptsetup."""
import os
import pty
import select
import subprocess
import sys

TIMEOUT_SECONDS = 30


def read_some(fd):
    ready, _, _ = select.select([fd], [], [], TIMEOUT_SECONDS)
    if not ready:
        raise TimeoutError("luksvol stopped talking")
    try:
        return os.read(fd, 1024)
    except OSError:
        return b""


def run_on_tty(argv, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    seen = b""
    try:
        for answer in answers:
            # Wait for the next prompt (ending in ": ") before answering.
            prompts = seen.count(b": ")
            while seen.count(b": ") == prompts:
                chunk = read_some(fd)
                if not chunk:
                    break
                seen += chunk
            os.write(fd, answer + b"\n")
        while True:
            chunk = read_some(fd)
            if not chunk:
                break
            seen += chunk
    except TimeoutError:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def report(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))


def main():
    luksvol, image = sys.argv[1], sys.argv[2]
    secret = b"typed at the terminal"
    fast = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"]
    rc, seen = run_on_tty([luksvol, "format", "-q"] + fast + [image], [secret, b"different"])
    report("prompt/mismatch-refused", rc == 2, "exit %d" % rc)
    rc, seen = run_on_tty([luksvol, "format", "-q"] + fast + [image], [secret, secret])
    report("prompt/format-asks-twice", rc == 0 and b"Verify passphrase" in seen, "exit %d" % rc)
    report("prompt/no-echo", secret not in seen, "the passphrase was echoed")
    with open(image + ".key", "wb") as f:
        f.write(secret)
    rc = subprocess.run(["cryptsetup", "open", "--test-passphrase", "--key-file", image + ".key",
                         image], stderr=subprocess.DEVNULL).returncode
    report("prompt/cryptsetup-opens-typed", rc == 0, "exit %d" % rc)
    rc, seen = run_on_tty([luksvol, "open", "--test-passphrase", image], [secret])
    report("prompt/unlock-asks-once", rc == 0 and b"Verify" not in seen, "exit %d" % rc)


if __name__ == "__main__":
    main()
