"""ptyrun.py: runs a command on a pseudo-terminal that is its controlling
terminal (so it opens /dev/tty, and ^C, ^Z and ^\\ reach it as signals),
waits for its prompts, answers them and reads the terminal's settings
(imported by prompt.py)."""
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time

TIMEOUT_SECONDS = 30


# A test run in the background (bash without job control) inherits these
# ignored; the command under test must see them as a terminal user's
# command does.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM,
                   signal.SIGUSR1, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)


def take_terminal():
    """In the child: the pty becomes the controlling terminal."""
    for sig in DEFAULT_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Tty:
    def __init__(self, argv, job_control=False):
        """job_control: argv runs in its own foreground process group under
        a session leader, as a shell runs a job, so a stop signal stops it
        (the kernel discards one sent to an orphaned process group)."""
        self.master, self.slave = os.openpty()
        self.pidfile = None
        if job_control:
            self.pidfile = "/tmp/ptyrun.%d.%d.pid" % (os.getpid(), id(self))
            argv = [sys.executable, os.path.abspath(__file__), "--job", self.pidfile] + argv
        self.proc = subprocess.Popen(
            argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
            start_new_session=True, preexec_fn=take_terminal)
        self.seen = b""
        self.mark = 0

    def pid(self):
        """The command's process (under job control, not the leader's)."""
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while self.pidfile and time.monotonic() < deadline:
            try:
                with open(self.pidfile) as f:
                    return int(f.read())
            except (OSError, ValueError):
                time.sleep(0.05)
        return self.proc.pid

    def kill(self, sig):
        os.kill(self.pid(), sig)

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:
            return False
        self.seen += chunk
        return bool(chunk)

    def expect(self, text, timeout=TIMEOUT_SECONDS):
        """True once text appears after the last answer (or start)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen[self.mark:]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self._read(min(left, 0.2)) and self.proc.poll() is not None:
                while self._read(0):
                    pass
                return text.encode() in self.seen[self.mark:]
        return True

    def send(self, data):
        self.mark = len(self.seen)
        os.write(self.master, data)

    def answer(self, line):
        self.send(line + b"\n")

    def echo_on(self):
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def stopped(self, timeout=10):
        """True once the process is stopped (state T)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.05)
            with open("/proc/%d/stat" % self.pid()) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                    return True
        return False

    def wait(self, timeout=TIMEOUT_SECONDS):
        """The exit code (negative: the signal that ended it); None when it
        had to be killed."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            return None
        while self._read(0):
            pass
        rc = self.proc.returncode
        return 128 - rc if self.pidfile and rc > 128 else rc

    def settle(self, timeout=5):
        """Before a passphrase is typed: waits until echo is off (cryptsetup
        turns it off after its prompt, discarding what was typed before);
        a yes/no question keeps echo on."""
        if b"Are you sure?" in self.seen[self.mark:]:
            return
        deadline = time.monotonic() + timeout
        while self.echo_on() and time.monotonic() < deadline:
            self._read(0.02)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.pidfile and os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        os.close(self.master)
        os.close(self.slave)

    def output(self):
        return self.seen.decode(errors="replace")


def run_on_tty(argv, answers, prompt=": "):
    """Answers each prompt (text ending in prompt) in turn; returns the exit
    code and everything the terminal showed."""
    tty = Tty(argv)
    try:
        for answer in answers:
            if not tty.expect(prompt):
                break
            tty.settle()
            tty.answer(answer)
        rc = tty.wait()
        return rc, tty.seen
    finally:
        tty.close()


def job_main(pidfile, argv):
    """The session leader of Tty(job_control=True): argv goes into its own
    process group, in the terminal's foreground; its exit status is passed
    on (a signal as 128 + the signal)."""
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        os.tcsetpgrp(0, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(argv[0], argv)
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(pid))
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        _, status = os.waitpid(pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            break
    code = os.waitstatus_to_exitcode(status)
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__" and len(sys.argv) > 3 and sys.argv[1] == "--job":
    job_main(sys.argv[2], sys.argv[3:])
