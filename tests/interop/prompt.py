#!/usr/bin/python3
"""prompt.py LUKSVOL IMAGE: drives luksvol's terminal prompts through a
pseudo-terminal, with cryptsetup side by side where it has the same verb:

- format asks twice (a mismatch is refused), echo is off, and the passphrase
  typed then opens the volume in cryptsetup;
- no lock is held while a human is asked: with a verb sitting at any of its
  prompts, dump, cryptsetup luksDump, open --test-passphrase and a
  cryptsetup writer all complete (issue 13 item 6);
- the last keyslot is confirmed as cryptsetup does (item 7);
- a declined confirmation exits with cryptsetup's code for the verb and
  changes nothing (item 18);
- a signal at a passphrase prompt leaves echo on; a stopped prompt turns it
  off again when continued (item 11).

Results are "PASS name" / "FAIL name: why" lines on stdout."""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyrun import Tty, run_on_tty  # noqa: E402

FAST = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"]
SIDE_TIMEOUT_SECONDS = 10
QUESTION = "Are you sure?"


def report(name, ok, why=""):
    # One write per line: other suites append to the same results file, and
    # print() writes the line and its newline apart.
    line = ("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run(argv, stdin=subprocess.DEVNULL, timeout=60):
    try:
        p = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return None, b"timed out"


def checksum(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def keyslots(image):
    """The keyslot numbers cryptsetup sees."""
    rc, out = run(["cryptsetup", "luksDump", "--dump-json-metadata", image])
    if rc != 0:
        return None
    import json
    return sorted(int(k) for k in json.loads(out)["keyslots"])


class Work:
    def __init__(self, luksvol, directory):
        self.luksvol = luksvol
        self.dir = directory
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)

    def path(self, name):
        return os.path.join(self.dir, name)

    def key(self, name, text):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(text)
        return path

    def image(self, name, keys):
        """A fresh 20 MiB image with one keyslot per key file (slots 0..)."""
        path = self.path(name)
        with open(path, "wb") as f:
            f.truncate(20 << 20)
        run(["cryptsetup", "luksFormat", "-q"] + FAST + ["--key-file", keys[0], path])
        for key in keys[1:]:
            run(["cryptsetup", "luksAddKey"] + FAST + ["--key-file", keys[0], path, key])
        return path

    def copy(self, source, name):
        path = self.path(name)
        shutil.copyfile(source, path)
        return path


def test_format_prompts(luksvol, image):
    secret = b"typed at the terminal"
    rc, seen = run_on_tty([luksvol, "format", "-q"] + FAST + [image], [secret, b"different"])
    report("prompt/mismatch-refused", rc == 2, "exit %s" % rc)
    rc, seen = run_on_tty([luksvol, "format", "-q"] + FAST + [image], [secret, secret])
    report("prompt/format-asks-twice", rc == 0 and b"Verify passphrase" in seen, "exit %s" % rc)
    report("prompt/no-echo", secret not in seen, "the passphrase was echoed")
    with open(image + ".key", "wb") as f:
        f.write(secret)
    rc = subprocess.run(["cryptsetup", "open", "--test-passphrase", "--key-file", image + ".key",
                         image], stderr=subprocess.DEVNULL).returncode
    report("prompt/cryptsetup-opens-typed", rc == 0, "exit %d" % rc)
    rc, seen = run_on_tty([luksvol, "open", "--test-passphrase", image], [secret])
    report("prompt/unlock-asks-once", rc == 0 and b"Verify" not in seen, "exit %s" % rc)


# ---- item 6: no lock while a human is asked ----

def side_commands(w, image, key):
    """What must complete while a verb sits at a prompt on image: readers
    of both tools and a cryptsetup writer."""
    return [
        ("luksvol-dump", [w.luksvol, "dump", image]),
        ("cryptsetup-luksDump", ["cryptsetup", "luksDump", image]),
        ("cryptsetup-test-passphrase",
         ["cryptsetup", "open", "--test-passphrase", "--key-file", key, image]),
        ("luksvol-test-passphrase",
         [w.luksvol, "open", "--test-passphrase", "--key-file", key, image]),
        ("cryptsetup-writer", ["cryptsetup", "config", "--label", "side", image]),
    ]


def check_side(w, name, image, key):
    failed = []
    for what, argv in side_commands(w, image, key):
        rc, out = run(argv, timeout=SIDE_TIMEOUT_SECONDS)
        if rc is None:
            failed.append("%s blocked %d s" % (what, SIDE_TIMEOUT_SECONDS))
        elif rc != 0:
            failed.append("%s exit %d: %s" % (what, rc, out[:200]))
    report("nolock/%s" % name, not failed, "; ".join(failed))


def at_prompts(w, name, argv, image, key, steps, want_rc):
    """steps: (prompt text, answer) pairs; at each prompt the side commands
    run before the answer is typed.  answer None: end of input (^D)."""
    tty = Tty(argv)
    try:
        for i, (prompt, answer) in enumerate(steps):
            if not tty.expect(prompt):
                report("nolock/%s/prompt-%d" % (name, i), False,
                       "no %r: %r" % (prompt, tty.output()[-300:]))
                return
            check_side(w, "%s/at-%d" % (name, i), image, key)
            tty.send(b"\x04" if answer is None else answer + b"\n")
        rc = tty.wait()
        report("nolock/%s/exit" % name, rc == want_rc,
               "exit %s, want %d: %r" % (rc, want_rc, tty.output()[-300:]))
    finally:
        tty.close()


def test_no_lock_at_prompts(w):
    k0, k1 = w.key("nl0.key", b"nolock zero"), w.key("nl1.key", b"nolock one")
    new = b"nolock new"
    two = w.image("nolock2.img", [k0, k1])
    one = w.image("nolock1.img", [k0])
    backup = w.path("nolock.backup")
    run(["cryptsetup", "luksHeaderBackup", "--header-backup-file", backup, two])
    lv = w.luksvol

    def fresh(source):
        return w.copy(source, "nolock.img")

    img = fresh(two)
    at_prompts(w, "add-key", [lv, "add-key"] + FAST + [img], img, k0,
               [("passphrase", b"nolock zero"), ("new passphrase", new),
                ("Verify", new)], 0)
    img = fresh(two)
    at_prompts(w, "change-key", [lv, "change-key"] + FAST + [img], img, k0,
               [("passphrase", b"nolock one"), ("new passphrase", new), ("Verify", new)], 0)
    img = fresh(one)
    at_prompts(w, "remove-key-last", [lv, "remove-key", img], img, k0,
               [("passphrase", b"nolock zero"), (QUESTION, b"no")], 2)
    img = fresh(two)
    at_prompts(w, "kill-slot", [lv, "kill-slot", img, "1"], img, k0,
               [("passphrase", b"nolock zero")], 0)
    img = fresh(two)
    at_prompts(w, "test-passphrase", [lv, "open", "--test-passphrase", img], img, k0,
               [("Enter passphrase", b"nolock one")], 0)
    img = fresh(two)
    at_prompts(w, "dump-volume-key", [lv, "dump", "--volume-key", img], img, k0,
               [(QUESTION, b"YES"), ("Enter passphrase", b"nolock one")], 0)
    img = fresh(two)
    at_prompts(w, "token-import", [lv, "token", "import", img], img, k0,
               [("token JSON", b'{"type":"x-typed","keyslots":[]}'), ("", None)], 0)
    img = fresh(two)
    at_prompts(w, "format", [lv, "format"] + FAST + [img], img, k0,
               [(QUESTION, b"YES"), ("Enter passphrase", new), ("Verify", new)], 0)
    img = fresh(two)
    at_prompts(w, "erase", [lv, "erase", img], img, k0, [(QUESTION, b"no")], 2)
    img = fresh(two)
    at_prompts(w, "header-restore", [lv, "header-restore", "--header-backup-file", backup, img],
               img, k0, [(QUESTION, b"no")], 1)
    img = fresh(two)
    at_prompts(w, "wipe", [lv, "wipe", img], img, k0, [(QUESTION, b"no")], 1)


# ---- item 7: the last keyslot ----

def both(w, name, source, argv_lv, argv_cs, answers=None, stdin=None):
    """Runs luksvol and cryptsetup on copies of source, on a terminal
    (answers) or with stdin (a file name); returns (rc, output, image) for
    each."""
    results = []
    for tool, argv in (("lv", argv_lv), ("cs", argv_cs)):
        image = w.copy(source, "%s-%s.img" % (name, tool))
        full = [a if a != "IMG" else image for a in argv]
        if answers is not None:
            rc, seen = run_on_tty(full, answers)
        elif stdin is not None:
            with open(stdin, "rb") as f:
                rc, seen = run(full, stdin=f)
        else:
            rc, seen = run(full)
        results.append((rc, seen, image))
    return results


def compare(name, results, want_rc, want_slots, asked=None):
    (lv_rc, lv_out, lv_img), (cs_rc, cs_out, cs_img) = results
    report("%s/exit-as-cryptsetup" % name, lv_rc == cs_rc == want_rc,
           "luksvol %s, cryptsetup %s, want %d: %r" % (lv_rc, cs_rc, want_rc, lv_out[-300:]))
    report("%s/keyslots" % name, keyslots(lv_img) == keyslots(cs_img) == want_slots,
           "luksvol %s, cryptsetup %s, want %s" % (keyslots(lv_img), keyslots(cs_img),
                                                  want_slots))
    if asked is not None:
        lv_asked = b"This is the last keyslot" in lv_out
        cs_asked = b"This is the last keyslot" in cs_out
        report("%s/asked" % name, lv_asked == cs_asked == asked,
               "luksvol asked: %s, cryptsetup asked: %s" % (lv_asked, cs_asked))


def deliberate(name, results, lv_want, cs_want):
    """Where luksvol refuses on purpose what cryptsetup does: removing the
    last keyslot with nobody asked (no terminal, or a key file) and no -q.
    lv_want and cs_want are (exit code, keyslots left, asked)."""
    for tool, (rc, out, img), (want_rc, want_slots, want_asked) in (
            ("luksvol", results[0], lv_want), ("cryptsetup", results[1], cs_want)):
        asked = b"This is the last keyslot" in out
        report("%s/%s-exit" % (name, tool), rc == want_rc,
               "exit %s, want %d: %r" % (rc, want_rc, out[-300:]))
        report("%s/%s-keyslots" % (name, tool), keyslots(img) == want_slots,
               "keyslots %s, want %s" % (keyslots(img), want_slots))
        report("%s/%s-asked" % (name, tool), asked == want_asked,
               "asked: %s, want %s" % (asked, want_asked))
    if lv_want[0] != 0:
        report("%s/luksvol-says-why" % name, b"without a confirmation" in results[0][1]
               or b"NOT wiped" in results[0][1], repr(results[0][1][-300:]))


def test_last_keyslot(w):
    k0, k1 = w.key("ls0.key", b"last zero"), w.key("ls1.key", b"last 1 key")
    one = w.image("last1.img", [k0])
    two = w.image("last2.img", [k0, k1])
    lv = w.luksvol
    rk_lv, rk_cs = [lv, "remove-key"], ["cryptsetup", "luksRemoveKey"]
    ks_lv, ks_cs = [lv, "kill-slot", "IMG", "0"], ["cryptsetup", "luksKillSlot", "IMG", "0"]
    # On a terminal, without -q: asked; "no" keeps it (exit 2).
    compare("last/remove-key-tty-declined",
            both(w, "rk1", one, rk_lv + ["--key-file", k0, "IMG"],
                 rk_cs + ["--key-file", k0, "IMG"], answers=[b"no"]), 2, [0], asked=True)
    compare("last/remove-key-tty-prompt-yes",
            both(w, "rk2", one, rk_lv + ["IMG"], rk_cs + ["IMG"],
                 answers=[b"last zero", b"YES"]), 0, [], asked=True)
    # -q: neither asks.  stdin not a terminal: cryptsetup removes the last
    # keyslot without asking; luksvol refuses (exit 2) unless -q.
    compare("last/remove-key-tty-batch",
            both(w, "rk3", one, rk_lv + ["-q", "--key-file", k0, "IMG"],
                 rk_cs + ["-q", "--key-file", k0, "IMG"], answers=[]), 0, [], asked=False)
    deliberate("last/remove-key-not-tty",
               both(w, "rk4", one, rk_lv + ["--key-file", k0, "IMG"],
                    rk_cs + ["--key-file", k0, "IMG"]), (2, [0], False), (0, [], False))
    compare("last/remove-key-not-tty-batch",
            both(w, "rk6", one, rk_lv + ["-q", "--key-file", k0, "IMG"],
                 rk_cs + ["-q", "--key-file", k0, "IMG"]), 0, [], asked=False)
    compare("last/remove-key-not-last-tty",
            both(w, "rk5", two, rk_lv + ["--key-file", k1, "IMG"],
                 rk_cs + ["--key-file", k1, "IMG"], answers=[]), 0, [0], asked=False)
    # kill-slot asks first, then for the passphrase of that last slot.
    compare("last/kill-slot-tty-declined", both(w, "ks1", one, ks_lv, ks_cs, answers=[b"no"]),
            2, [0], asked=True)
    compare("last/kill-slot-tty-yes",
            both(w, "ks2", one, ks_lv, ks_cs, answers=[b"YES", b"last zero"]), 0, [],
            asked=True)
    compare("last/kill-slot-tty-wrong",
            both(w, "ks3", one, ks_lv, ks_cs, answers=[b"YES", b"wrong"]), 2, [0],
            asked=True)
    # With a key file cryptsetup does not ask; luksvol still does.
    deliberate("last/kill-slot-tty-key-file",
               both(w, "ks4", one, ks_lv[:2] + ["--key-file", k0] + ks_lv[2:],
                    ks_cs[:2] + ["--key-file", k0] + ks_cs[2:], answers=[b"no"]),
               (2, [0], True), (0, [], False))
    deliberate("last/kill-slot-tty-key-file-yes",
               both(w, "ks10", one, ks_lv[:2] + ["--key-file", k0] + ks_lv[2:],
                    ks_cs[:2] + ["--key-file", k0] + ks_cs[2:], answers=[b"YES"]),
               (0, [], True), (0, [], False))
    compare("last/kill-slot-tty-batch",
            both(w, "ks5", one, ks_lv[:2] + ["-q"] + ks_lv[2:], ks_cs[:2] + ["-q"] + ks_cs[2:],
                 answers=[]), 0, [], asked=False)
    # Not a terminal: a piped passphrase is checked; nothing at all on
    # the pipe skips the check (cryptsetup's rule).
    compare("last/kill-slot-piped-wrong",
            both(w, "ks6", one, ks_lv, ks_cs, stdin=w.key("wrong.key", b"wrong\n")), 2, [0],
            asked=False)
    deliberate("last/kill-slot-piped-empty", both(w, "ks7", one, ks_lv, ks_cs),
               (2, [0], False), (0, [], False))
    compare("last/kill-slot-piped-empty-batch",
            both(w, "ks11", one, ks_lv[:2] + ["-q"] + ks_lv[2:], ks_cs[:2] + ["-q"] + ks_cs[2:]),
            0, [], asked=False)
    # Another slot is killed with a passphrase of a remaining slot only.
    other_lv = [lv, "kill-slot", "--key-file", k1, "IMG", "1"]
    other_cs = ["cryptsetup", "luksKillSlot", "--key-file", k1, "IMG", "1"]
    compare("last/kill-slot-own-passphrase-refused", both(w, "ks8", two, other_lv, other_cs),
            2, [0, 1], asked=False)
    other_lv[3], other_cs[3] = k0, k0
    compare("last/kill-slot-remaining-passphrase", both(w, "ks9", two, other_lv, other_cs),
            0, [0], asked=False)


def test_last_beside_unbound(w):
    """Slot 1 holds a key of its own (luksAddKey --unbound): slot 0 is the
    last keyslot of the volume key (cryptsetup's CRYPT_SLOT_ACTIVE_LAST)."""
    k0, ku = w.key("lu0.key", b"bound zero"), w.key("lu1.key", b"unbound one")
    img = w.image("unbound.img", [k0])
    run(["cryptsetup", "luksAddKey", "--unbound", "--key-size", "512", "--key-slot", "1"] + FAST
        + [img, ku])
    report("unbound/fixture", keyslots(img) == [0, 1], "keyslots %s" % keyslots(img))
    lv = w.luksvol
    compare("unbound/remove-key-tty-declined",
            both(w, "ub1", img, [lv, "remove-key", "--key-file", k0, "IMG"],
                 ["cryptsetup", "luksRemoveKey", "--key-file", k0, "IMG"], answers=[b"no"]),
            2, [0, 1], asked=True)
    compare("unbound/kill-slot-tty-declined",
            both(w, "ub2", img, [lv, "kill-slot", "IMG", "0"],
                 ["cryptsetup", "luksKillSlot", "IMG", "0"], answers=[b"no"]),
            2, [0, 1], asked=True)
    compare("unbound/kill-slot-unbound-passphrase-refused",
            both(w, "ub3", img, [lv, "kill-slot", "-q", "--key-file", ku, "IMG", "0"],
                 ["cryptsetup", "luksKillSlot", "-q", "--key-file", ku, "IMG", "0"]),
            2, [0, 1], asked=False)
    compare("unbound/kill-unbound-with-its-own-refused",
            both(w, "ub4", img, [lv, "kill-slot", "--key-file", ku, "IMG", "1"],
                 ["cryptsetup", "luksKillSlot", "--key-file", ku, "IMG", "1"]),
            2, [0, 1], asked=False)
    compare("unbound/kill-unbound",
            both(w, "ub5", img, [lv, "kill-slot", "--key-file", k0, "IMG", "1"],
                 ["cryptsetup", "luksKillSlot", "--key-file", k0, "IMG", "1"]),
            0, [0], asked=False)


# ---- item 18: a declined confirmation exits as cryptsetup's ----

def test_declined(w):
    k0 = w.key("dc0.key", b"declined zero")
    base = w.image("declined.img", [k0])
    backup = w.path("declined.backup")
    run(["cryptsetup", "luksHeaderBackup", "--header-backup-file", backup, base])
    lv = w.luksvol
    cases = [
        ("format", [lv, "format"] + FAST + ["--key-file", k0, "IMG"],
         ["cryptsetup", "luksFormat"] + FAST + ["--key-file", k0, "IMG"]),
        ("erase", [lv, "erase", "IMG"], ["cryptsetup", "luksErase", "IMG"]),
        ("header-restore", [lv, "header-restore", "--header-backup-file", backup, "IMG"],
         ["cryptsetup", "luksHeaderRestore", "--header-backup-file", backup, "IMG"]),
        ("dump-volume-key", [lv, "dump", "--volume-key", "--key-file", k0, "IMG"],
         ["cryptsetup", "luksDump", "--dump-volume-key", "--key-file", k0, "IMG"]),
    ]
    before = checksum(base)
    for name, argv_lv, argv_cs in cases:
        (lv_rc, lv_out, lv_img), (cs_rc, cs_out, _) = both(w, "dc-" + name, base, argv_lv,
                                                           argv_cs, answers=[b"no"])
        report("declined/%s/asked" % name, QUESTION.encode() in lv_out,
               "no question: %r" % lv_out[-300:])
        report("declined/%s/exit-as-cryptsetup" % name, lv_rc == cs_rc and cs_rc in (1, 2),
               "luksvol %s, cryptsetup %s" % (lv_rc, cs_rc))
        report("declined/%s/unchanged" % name, checksum(lv_img) == before,
               "the image changed")
        report("declined/%s/no-volume-key" % name, b"MK dump" not in lv_out,
               "printed the volume key")


# ---- item 11: signals at a passphrase prompt ----

def signal_at_prompt(w, name, argv, prompt, deliver, want_signal):
    tty = Tty(argv)
    try:
        if not tty.expect(prompt):
            report("signal/%s/prompt" % name, False, repr(tty.output()[-300:]))
            return
        report("signal/%s/echo-off-at-prompt" % name, not tty.echo_on(), "echo on")
        deliver(tty)
        rc = tty.wait()
        report("signal/%s/died-of-it" % name, rc == -want_signal,
               "exit %s, want signal %d" % (rc, want_signal))
        report("signal/%s/echo-restored" % name, tty.echo_on(), "echo still off")
    finally:
        tty.close()


def test_signals(w):
    k0 = w.key("sg0.key", b"signal zero")
    image = w.image("signal.img", [k0])
    lv = w.luksvol
    unlock = [lv, "open", "--test-passphrase", image]
    typed = [("ctrl-c", lambda t: t.send(b"\x03"), signal.SIGINT),
             ("ctrl-backslash", lambda t: t.send(b"\x1c"), signal.SIGQUIT)]
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1):
        typed.append((sig.name.lower(), lambda t, s=sig: t.proc.send_signal(s), sig))
    for name, deliver, sig in typed:
        signal_at_prompt(w, name, unlock, "Enter passphrase", deliver, sig)
    # The second prompt of format: echo was off again after the first.
    fmt = [lv, "format", "-q"] + FAST + [w.copy(image, "signal-format.img")]
    tty = Tty(fmt)
    try:
        ok = tty.expect("Enter passphrase")
        tty.answer(b"first")
        ok = ok and tty.expect("Verify")
        report("signal/verify-prompt/echo-off", ok and not tty.echo_on(),
               repr(tty.output()[-200:]))
        tty.send(b"\x03")
        rc = tty.wait()
        report("signal/verify-prompt/echo-restored", rc == -signal.SIGINT and tty.echo_on(),
               "exit %s, echo %s" % (rc, tty.echo_on()))
    finally:
        tty.close()
    report("signal/format-interrupted-unchanged", checksum(w.path("signal-format.img")) ==
           checksum(image), "format wrote after ^C")
    test_stop_and_continue(unlock)


def test_stop_and_continue(unlock):
    """^Z: echo on while stopped, off again once continued, and the typed
    passphrase still unlocks."""
    tty = Tty(unlock, job_control=True)
    try:
        ok = tty.expect("Enter passphrase")
        tty.send(b"\x1a")
        stopped = ok and tty.stopped()
        report("signal/ctrl-z/stopped", stopped, repr(tty.output()[-200:]))
        report("signal/ctrl-z/echo-on-while-stopped", stopped and tty.echo_on(), "echo off")
        tty.kill(signal.SIGCONT)
        time.sleep(0.5)
        report("signal/ctrl-z/echo-off-when-continued", not tty.echo_on(), "echo on")
        tty.answer(b"signal zero")
        rc = tty.wait()
        report("signal/ctrl-z/unlocks-after", rc == 0 and tty.echo_on(),
               "exit %s, echo %s: %r" % (rc, tty.echo_on(), tty.output()[-200:]))
    finally:
        tty.close()


def main():
    """prompt.py LUKSVOL IMAGE [GROUP...]: every group unless named."""
    luksvol, image = sys.argv[1], sys.argv[2]
    groups = sys.argv[3:] or ["format", "nolock", "last", "declined", "signals"]
    w = Work(luksvol, os.path.join(os.path.dirname(image), "prompt"))
    if "format" in groups:
        test_format_prompts(luksvol, image)
    if "nolock" in groups:
        test_no_lock_at_prompts(w)
    if "last" in groups:
        test_last_keyslot(w)
        test_last_beside_unbound(w)
    if "declined" in groups:
        test_declined(w)
    if "signals" in groups:
        test_signals(w)


if __name__ == "__main__":
    main()
