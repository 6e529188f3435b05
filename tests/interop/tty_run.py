#!/usr/bin/python3
"""tty_run.py ANSWER TRANSCRIPT CMD...: runs CMD on a pseudo-terminal (its
stdin, stdout and stderr), types ANSWER at a confirmation question ("Are
you sure?") if one comes ("-": answer nothing), writes everything CMD
printed to TRANSCRIPT and exits with CMD's exit code (124 on a timeout)."""
import os
import pty
import select
import sys

TIMEOUT_SECONDS = 60
QUESTION = b"Are you sure?"


def main():
    answer, transcript, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    seen, answered, timed_out = b"", answer == "-", False
    while True:
        ready, _, _ = select.select([fd], [], [], TIMEOUT_SECONDS)
        if not ready:
            timed_out = True
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            break
        seen += chunk
        if not answered and QUESTION in seen:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    with open(transcript, "wb") as out:
        out.write(seen)
    sys.exit(124 if timed_out else os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
