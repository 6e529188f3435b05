#!/usr/bin/python3
"""chain.py: a randomized chain of keyslot and token edits on one image,
alternating cryptsetup and luksvol.  After every step both tools must agree
that each expected passphrase opens exactly its slot, and the volume key
must never change.  Prints "PASS name" / "FAIL name: reason" lines."""
import argparse
import os
import random
import shutil
import subprocess
import sys

FAST = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"]


def emit(line):
    """One write per result line: other suites append to the same file, and
    a block-buffered stdout would cut lines where its buffer ends."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Chain:
    def __init__(self, luksvol, work, seed):
        self.luksvol = luksvol
        self.work = work
        self.rng = random.Random(seed)
        self.img = os.path.join(work, "chain.img")
        self.slots = {}      # slot -> passphrase bytes
        self.tokens = {}     # token id -> keyslot list
        self.counter = 0
        self.failures = 0

    def keyfile(self, secret):
        self.counter += 1
        path = os.path.join(self.work, "k%d" % self.counter)
        with open(path, "wb") as f:
            f.write(secret)
        return path

    def run(self, argv):
        # stdin: kill-slot -q reads a passphrase from a pipe (cryptsetup's rule).
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE).returncode

    def report(self, name, ok, why=""):
        if not ok:
            self.failures += 1
        emit(("PASS " + name) if ok else ("FAIL %s: %s" % (name, why)))

    def volume_key(self, tool, passphrase):
        key = self.keyfile(passphrase)
        if tool == "cryptsetup":
            argv = ["cryptsetup", "luksDump", "--dump-volume-key", "-q", "--key-file", key, self.img]
        else:
            argv = [self.luksvol, "dump", "--volume-key", "-q", "--key-file", key, self.img]
        out = subprocess.run(argv, capture_output=True, text=True).stdout
        return out[out.find("MK dump:"):].replace(" ", "").replace("\t", "").replace("\n", "")

    def fresh_secret(self):
        return ("pass-%d-%x" % (self.counter, self.rng.getrandbits(32))).encode()

    def any_slot(self):
        return self.rng.choice(sorted(self.slots))

    # ---- edits, each by cryptsetup or luksvol ----
    def add(self, tool):
        free = [s for s in range(8) if s not in self.slots]
        slot, old, new = self.rng.choice(free), self.slots[self.any_slot()], self.fresh_secret()
        oldf, newf = self.keyfile(old), self.keyfile(new)
        if tool == "cryptsetup":
            rc = self.run(["cryptsetup", "luksAddKey", "-q"] + FAST +
                          ["--key-file", oldf, "--key-slot", str(slot), self.img, newf])
        else:
            rc = self.run([self.luksvol, "add-key"] + FAST + ["--key-file", oldf, "--new-key-file",
                          newf, "--key-slot", str(slot), self.img])
        if rc == 0:
            self.slots[slot] = new
        return rc, "add slot %d" % slot

    def kill(self, tool):
        slot = self.any_slot()
        if tool == "cryptsetup":
            rc = self.run(["cryptsetup", "luksKillSlot", "-q", self.img, str(slot)])
        else:
            rc = self.run([self.luksvol, "kill-slot", "-q", self.img, str(slot)])
        if rc == 0:
            del self.slots[slot]
            for keyslots in self.tokens.values():
                if slot in keyslots:
                    keyslots.remove(slot)
        return rc, "kill slot %d" % slot

    def change(self, tool):
        slot, new = self.any_slot(), self.fresh_secret()
        oldf, newf = self.keyfile(self.slots[slot]), self.keyfile(new)
        if tool == "cryptsetup":
            rc = self.run(["cryptsetup", "luksChangeKey", "-q"] + FAST +
                          ["--key-file", oldf, "--key-slot", str(slot), self.img, newf])
        else:
            rc = self.run([self.luksvol, "change-key"] + FAST + ["--key-file", oldf,
                          "--new-key-file", newf, "--key-slot", str(slot), self.img])
        if rc == 0:
            self.slots[slot] = new
        return rc, "change slot %d" % slot

    def token_import(self, tool):
        free = [t for t in range(8) if t not in self.tokens]
        token = self.rng.choice(free)
        keyslots = sorted(self.rng.sample(sorted(self.slots), self.rng.randint(0, len(self.slots))))
        text = '{"type":"chain-test","keyslots":[%s],"n":%d}' % (
            ",".join('"%d"' % s for s in keyslots), self.counter)
        path = self.keyfile(text.encode())
        if tool == "cryptsetup":
            rc = self.run(["cryptsetup", "token", "import", "--token-id", str(token),
                           "--json-file", path, self.img])
        else:
            rc = self.run([self.luksvol, "token", "import", "--token-id", str(token),
                           "--json-file", path, self.img])
        if rc == 0:
            self.tokens[token] = keyslots
        return rc, "import token %d" % token

    def token_remove(self, tool):
        token = self.rng.choice(sorted(self.tokens))
        argv = ["cryptsetup", "token", "remove"] if tool == "cryptsetup" else \
            [self.luksvol, "token", "remove"]
        rc = self.run(argv + ["--token-id", str(token), self.img])
        if rc == 0:
            del self.tokens[token]
        return rc, "remove token %d" % token

    def pick_edit(self):
        edits = [self.change]
        if len(self.slots) < 8:
            edits.append(self.add)
        if len(self.slots) > 1:
            edits.append(self.kill)
        if len(self.tokens) < 8:
            edits.append(self.token_import)
        if self.tokens:
            edits.append(self.token_remove)
        return self.rng.choice(edits)

    # ---- agreement ----
    def opens(self, tool, slot, secret):
        key = self.keyfile(secret)
        if tool == "cryptsetup":
            argv = ["cryptsetup", "open", "--test-passphrase", "--key-slot", str(slot), "--key-file", key, self.img]
        else:
            argv = [self.luksvol, "open", "--test-passphrase", "--key-slot", str(slot), "--key-file", key, self.img]
        return self.run(argv) == 0

    def check(self, step):
        for slot, secret in sorted(self.slots.items()):
            for tool in ("cryptsetup", "luksvol"):
                if not self.opens(tool, slot, secret):
                    return "%s cannot open slot %d with its passphrase" % (tool, slot)
        if len(self.slots) > 1:
            a, b = self.rng.sample(sorted(self.slots), 2)
            for tool in ("cryptsetup", "luksvol"):
                if self.opens(tool, a, self.slots[b]):
                    return "%s opens slot %d with slot %d's passphrase" % (tool, a, b)
        return None

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        with open(self.img, "wb") as f:
            f.truncate(24 << 20)
        first = self.fresh_secret()
        rc = self.run(["cryptsetup", "luksFormat", "-q", "--type", "luks2"] + FAST +
                      ["--key-file", self.keyfile(first), self.img])
        self.slots[0] = first
        self.volume_key0 = self.volume_key("cryptsetup", first)
        return rc == 0 and self.volume_key0

    def step(self, n):
        tool = "cryptsetup" if n % 2 == 0 else "luksvol"
        rc, what = self.pick_edit()(tool)
        if rc != 0:
            self.report("chain/step-%03d" % n, False, "%s %s exited %d" % (tool, what, rc))
            return False
        problem = self.check(n)
        if problem is None and n % 10 == 9:
            secret = self.slots[self.any_slot()]
            if self.volume_key("luksvol", secret) != self.volume_key0:
                problem = "volume key changed"
        self.report("chain/step-%03d" % n, problem is None, "after %s %s: %s" % (tool, what, problem))
        return problem is None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--luksvol", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    chain = Chain(args.luksvol, args.work, args.seed)
    if not chain.start():
        emit("FAIL chain/start: cryptsetup could not format the chain image")
        return 0
    for n in range(args.steps):
        if not chain.step(n):
            break
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
