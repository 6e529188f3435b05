#!/usr/bin/python3
"""pin_prompt.py GROUP LUKSVOL IMAGE TCTI TOKEN PIN: a systemd-tpm2 token
enrolled with a PIN (systemd-cryptenroll --tpm2-with-pin=yes), opened with
`open --token-only --test-passphrase` on a pseudo-terminal (tokens.sh).

GROUP "pin", with the PCRs as enrolled: the PIN prompt has echo off and
does not echo what is typed; the right PIN opens (exit 0); a wrong one
exits 2 with "wrong PIN"; Ctrl-C at the prompt restores echo and ends the
command with SIGINT, as at every other prompt (prompt.py).

GROUP "pcr-changed", after a PCR of the policy moved: no PIN is asked (the
policy is checked first), exit 2 with the PCR reason; nor with no TPM to
reach (exit 2, "cannot connect").

Results are "PASS name" / "FAIL name: why" lines on stdout."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prompt import report, signal_at_prompt  # noqa: E402
from ptyrun import Tty  # noqa: E402

PROMPT = "Enter token PIN for"
WAIT_SECONDS = 60


def typed_pin(argv, pin):
    """Types pin at the prompt: (exit code, what the terminal showed,
    whether echo was off at the prompt)."""
    tty = Tty(argv)
    try:
        if not tty.expect(PROMPT, WAIT_SECONDS):
            return None, tty.output(), False
        tty.settle()
        echo_off = not tty.echo_on()
        tty.answer(pin.encode())
        return tty.wait(WAIT_SECONDS), tty.output(), echo_off
    finally:
        tty.close()


def test_pin(argv, token, pin):
    rc, seen, echo_off = typed_pin(argv, pin)
    report("tpm-pin/tty-asks", rc is not None, repr(seen[-300:]))
    report("tpm-pin/tty-echo-off", echo_off, "echo on at the PIN prompt")
    report("tpm-pin/tty-not-echoed", pin not in seen, "the PIN was echoed")
    report("tpm-pin/tty-right-pin-opens", rc == 0 and
           ("token %s (systemd-tpm2) opened keyslot" % token) in seen,
           "exit %s: %r" % (rc, seen[-300:]))
    rc, seen, _ = typed_pin(argv, pin + "0")
    report("tpm-pin/tty-wrong-pin-exit-2", rc == 2, "exit %s: %r" % (rc, seen[-300:]))
    report("tpm-pin/tty-wrong-pin-says", "wrong PIN" in seen, repr(seen[-300:]))
    signal_at_prompt(None, "tpm-pin-ctrl-c", argv, PROMPT, lambda t: t.send(b"\x03"),
                     signal.SIGINT)


def not_asked(name, argv, token, reason):
    tty = Tty(argv)
    try:
        rc = tty.wait(WAIT_SECONDS)
        seen = tty.output()
    finally:
        tty.close()
    report("tpm-pin/%s-not-asked" % name, PROMPT not in seen, repr(seen[-300:]))
    report("tpm-pin/%s-exit-2" % name, rc == 2, "exit %s" % rc)
    report("tpm-pin/%s-says" % name, ("token %s (systemd-tpm2): " % token) in seen and
           reason in seen, repr(seen[-300:]))


def test_not_asked(argv, token):
    not_asked("pcr-changed", argv, token, "changed since enrolment")
    # No TPM there (nothing listens on port 1): nor is a PIN asked for.
    away = [a if not a.startswith("swtpm:") else "swtpm:host=127.0.0.1,port=1" for a in argv]
    not_asked("tpm-away", away, token, "cannot connect")


def main():
    group, luksvol, image, tcti, token, pin = sys.argv[1:7]
    argv = [luksvol, "open", "--token-only", "--test-passphrase", "--token-id", token,
            "--tpm-tcti", tcti, image]
    if group == "pin":
        test_pin(argv, token, pin)
    else:
        test_not_asked(argv, token)


if __name__ == "__main__":
    main()
