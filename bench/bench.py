#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""bench.py: `make bench`: luksvol against cryptsetup, side by side.

Every figure runs its commands in the same rounds, the order reversed
from one round to the next, and reports per-round ratios (luksvol time /
reference time) as median, min and max: the machines are shared and noisy,
so absolute times mean little.  Commands are timed by bench/lvtime.c.

Writes bench/RESULTS.md (tables + bench/notes.md), bench/results.png
(gnuplot) and the raw times to $BUILD/bench/raw.tsv.

  bench/bench.py [--only FIG,FIG] [--no-vm] [--rounds N]

With LUKSVOL_BASE=<another luksvol> in the environment, the dump, unlock,
format and add-key figures also run that binary in every round
("luksvol-base") and report luksvol / luksvol-base too.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
BDIR = os.path.join(TOP, BUILD)
WORK = os.path.join(BDIR, "bench")
LUKSVOL = os.path.join(BDIR, "luksvol")
LUKSVOL_STATIC = os.path.join(BDIR, "luksvol-static")
# LUKSVOL_BASE=path: another luksvol build (an older commit's) timed in the
# same rounds as "luksvol-base", to tell a regression from the machine's noise.
LUKSVOL_BASE = os.environ.get("LUKSVOL_BASE", "")
LVTIME = os.path.join(WORK, "lvtime")
# A program that does nothing, linked with build/luksvol's shared libraries
# (bench.mk): the start-up cost no work of luksvol's can remove.
LINK_FLOOR = os.path.join(WORK, "link-floor")
# The static CRYPTO=openssl build scripts/sizes.sh makes (default features).
LUKSVOL_STATIC_OPENSSL = os.path.join(BDIR, "sizes", "openssl-yaml1-blkid0", "luksvol")
CRYPTSETUP = shutil.which("cryptsetup") or "/sbin/cryptsetup"
ARGON2 = shutil.which("argon2") or "/usr/bin/argon2"
GNU_TIME = "/usr/bin/time"

# The unlock figures' keyslots: argon2id m=256 MiB t=4 p=2 (issue 7).
ARGON2_MEMORY_KIB = 262144
ARGON2_TIME = 4
ARGON2_PARALLEL = 2
KDF_ARGS = ["--pbkdf", "argon2id", "--pbkdf-memory", str(ARGON2_MEMORY_KIB),
            "--pbkdf-parallel", str(ARGON2_PARALLEL),
            "--pbkdf-force-iterations", str(ARGON2_TIME)]
FAST_ARGS = ["--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"]
SLOTS = 8
VOLUME_KEY_BYTES = 64   # aes-xts-plain64, 512-bit key: what the KDF derives

# VM figures: rounds after one warm-up round.
OPENCLOSE_ROUNDS = 20
KERNEL_ROUNDS = 5
KERNEL_ITERATIONS = 20000


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


class BenchError(Exception):
    pass


def timed(cmd):
    """Wall time of cmd in ns, through lvtime (which forks and execs it)."""
    p = subprocess.run([LVTIME] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return int(p.stdout.strip())


# ---------------------------------------------------------------- fixtures

def key_file(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def stamp_ok(path, stamp):
    try:
        with open(path + ".stamp") as f:
            return f.read() == stamp and os.path.exists(path)
    except OSError:
        return False


def write_stamp(path, stamp):
    with open(path + ".stamp", "w") as f:
        f.write(stamp)


def make_image(name, size, kdf_args, keys, layout_args=()):
    """A cryptsetup-formatted image with keys[i] in slot i (cached)."""
    path = os.path.join(WORK, name)
    stamp = repr((size, kdf_args, list(layout_args), keys, CRYPTSETUP))
    if stamp_ok(path, stamp):
        return path
    log(f"creating {name} ({len(keys)} keyslot(s))")
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(size)
    run([CRYPTSETUP, "luksFormat", "-q", "--type", "luks2", "--key-file", keys[0], path]
        + kdf_args + list(layout_args))
    for slot, key in enumerate(keys[1:], start=1):
        run([CRYPTSETUP, "luksAddKey", "-q", "--key-slot", str(slot), "--key-file", keys[0],
             path, key] + kdf_args)
    write_stamp(path, stamp)
    return path


# ----------------------------------------------------------------- figures

class Figure:
    """One figure: variants timed in the same rounds, luksvol first; pairs
    (ours, reference) name the ratios reported, by default luksvol against
    every other variant."""

    def __init__(self, name, title, variants, rounds, warmup=0, prepare=None, pairs=None):
        self.name = name
        self.title = title
        self.variants = variants      # list of (label, argv)
        self.pairs = pairs or [("luksvol", label) for label, _ in variants if label != "luksvol"]
        self.rounds = rounds
        self.warmup = warmup
        self.prepare = prepare        # called before each timed run with the label
        self.times = {label: [] for label, _ in variants}
        self.load = []
        self.error = None

    def run(self):
        log(f"{self.name}: {self.rounds} rounds of {', '.join(l for l, _ in self.variants)}"
            f" (load {loadavg()})")
        self.load.append(loadavg())
        try:
            for _ in range(self.warmup):
                for label, cmd in self.variants:
                    self.one(label, cmd)
            for r in range(self.rounds):
                order = self.variants if r % 2 == 0 else list(reversed(self.variants))
                for label, cmd in order:
                    self.times[label].append(self.one(label, cmd))
        except (BenchError, subprocess.CalledProcessError) as e:
            self.error = str(e)
            log(f"{self.name}: FAILED: {e}")
        self.load.append(loadavg())

    def one(self, label, cmd):
        if self.prepare:
            self.prepare(label)
        return timed(cmd)


def ratios(a, b):
    return [x / y for x, y in zip(a, b)]


def summary(values):
    return statistics.median(values), min(values), max(values)


def cmd_unlock_luksvol(img, key, binary=None):
    return [binary or LUKSVOL, "open", "--test-passphrase", "--key-file", key, img]


def cmd_unlock_cryptsetup(img, key):
    return [CRYPTSETUP, "open", "--test-passphrase", "--key-file", key, img]


def cmd_floor(key, count, salt_file):
    """count Argon2id computations with the keyslots' parameters by
    Debian's argon2 CLI: what an unlock trying count keyslots cannot beat
    by doing less work."""
    one = (f"{ARGON2} \"$(cat {salt_file})\" -id -t {ARGON2_TIME} "
           f"-m {ARGON2_MEMORY_KIB.bit_length() - 1} -p {ARGON2_PARALLEL} "
           f"-l {VOLUME_KEY_BYTES} -r <{key} >/dev/null")
    return ["/bin/sh", "-c", f"i=0; while [ $i -lt {count} ]; do {one} || exit 1; "
            f"i=$((i + 1)); done"]


def with_base(variants, pairs, argv_of):
    """Adds the LUKSVOL_BASE variant (argv_of(binary) builds its command)
    and its ratios, when LUKSVOL_BASE is set."""
    if not LUKSVOL_BASE:
        return variants, pairs
    ref = [label for label, _ in variants if label != "luksvol"]
    pairs = (pairs or [("luksvol", label) for label in ref]) + \
        [("luksvol-base", label) for label in ref] + [("luksvol", "luksvol-base")]
    return variants[:1] + [("luksvol-base", argv_of(LUKSVOL_BASE))] + variants[1:], pairs


def host_figures(only, rounds_override):
    keys = [key_file(f"key{i}", f"bench passphrase {i}") for i in range(SLOTS)]
    new_key = key_file("newkey", "bench new passphrase")
    salt = key_file("salt", "luksvol-bench-salt-32-bytes-long")   # 32 bytes, as LUKS2's
    figs = []

    def want(name):
        return not only or name in only

    def rounds(n):
        return rounds_override or n

    if want("dump-16k") or want("dump-4m") or want("memory"):
        h16 = make_image("dump-16k.img", 20 << 20, FAST_ARGS, keys)
        h4m = make_image("dump-4m.img", 40 << 20, FAST_ARGS, keys,
                         ["--luks2-metadata-size", "4m"])
    for name, img, title, n, warm in (
            ("dump-16k", h16 if want("dump-16k") else None, "dump, 16 KiB metadata, 8 keyslots",
             30, 3),
            ("dump-4m", h4m if want("dump-4m") else None, "dump, 4 MiB metadata, 8 keyslots",
             15, 2)):
        if not img:
            continue
        variants = [("luksvol", [LUKSVOL, "dump", img]),
                    ("cryptsetup", [CRYPTSETUP, "luksDump", img])]
        pairs = [("luksvol", "cryptsetup")]
        if LUKSVOL_BASE:
            variants.insert(1, ("luksvol-base", [LUKSVOL_BASE, "dump", img]))
            pairs += [("luksvol-base", "cryptsetup"), ("luksvol", "luksvol-base")]
        if os.access(LUKSVOL_STATIC_OPENSSL, os.X_OK):
            variants.append(("static-openssl", [LUKSVOL_STATIC_OPENSSL, "dump", img]))
            pairs.append(("static-openssl", "cryptsetup"))
        if name == "dump-16k":
            variants.append(("link-floor", [LINK_FLOOR]))
            pairs.append(("link-floor", "cryptsetup"))
        figs.append(Figure(name, title, variants, rounds(n), warmup=warm, pairs=pairs))
    need_unlock = any(want(n) for n in ("unlock-slot0", "unlock-slot7", "memory"))
    if need_unlock:
        uimg = make_image("unlock.img", 20 << 20, KDF_ARGS, keys)
    for slot in (0, SLOTS - 1):
        name = f"unlock-slot{slot}"
        if want(name):
            variants, pairs = with_base(
                [("luksvol", cmd_unlock_luksvol(uimg, keys[slot])),
                 ("cryptsetup", cmd_unlock_cryptsetup(uimg, keys[slot])),
                 ("floor", cmd_floor(keys[slot], slot + 1, salt))], None,
                lambda b, s=slot: cmd_unlock_luksvol(uimg, keys[s], b))
            figs.append(Figure(
                name, f"unlock (open --test-passphrase), argon2id 256 MiB t=4 p=2, key in slot "
                f"{slot} of {SLOTS}", variants, rounds(5), pairs=pairs))
    if want("format"):
        targets = {"luksvol": os.path.join(WORK, "format-lv.img"),
                   "luksvol-base": os.path.join(WORK, "format-lvb.img"),
                   "cryptsetup": os.path.join(WORK, "format-cs.img")}
        for t in targets.values():
            with open(t, "wb") as f:
                f.truncate(20 << 20)

        def format_cmd(binary, label):
            return [binary, "format", "-q", "--key-file", keys[0], targets[label]] + KDF_ARGS
        variants, pairs = with_base(
            [("luksvol", format_cmd(LUKSVOL, "luksvol")),
             ("cryptsetup", [CRYPTSETUP, "luksFormat", "-q", "--type", "luks2", "--key-file",
                             keys[0], targets["cryptsetup"]] + KDF_ARGS)], None,
            lambda b: format_cmd(b, "luksvol-base"))
        figs.append(Figure(
            "format", "format, forced argon2id 256 MiB t=4 p=2", variants, rounds(5),
            pairs=pairs))
    if want("add-key"):
        base = make_image("addkey-base.img", 20 << 20, KDF_ARGS, keys[:1])
        targets = {"luksvol": os.path.join(WORK, "addkey-lv.img"),
                   "luksvol-base": os.path.join(WORK, "addkey-lvb.img"),
                   "cryptsetup": os.path.join(WORK, "addkey-cs.img")}

        def fresh_copy(label):
            shutil.copyfile(base, targets[label])

        def add_key_cmd(binary, label):
            return [binary, "add-key", "--key-file", keys[0], "--new-key-file", new_key,
                    targets[label]] + KDF_ARGS
        variants, pairs = with_base(
            [("luksvol", add_key_cmd(LUKSVOL, "luksvol")),
             ("cryptsetup", [CRYPTSETUP, "luksAddKey", "-q", "--key-file", keys[0],
                             targets["cryptsetup"], new_key] + KDF_ARGS)], None,
            lambda b: add_key_cmd(b, "luksvol-base"))
        figs.append(Figure(
            "add-key", "add-key, forced argon2id 256 MiB t=4 p=2 (unlock slot 0 + new slot)",
            variants, rounds(5), prepare=fresh_copy, pairs=pairs))
    for f in figs:
        f.run()
    mem = memory_figure(h16, uimg, keys[0]) if want("memory") else None
    return figs, mem


def peak_rss_kib(cmd):
    out = os.path.join(WORK, "time.out")
    subprocess.run([GNU_TIME, "-f", "%M", "-o", out] + cmd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(f.read().split()[-1])


def memory_figure(h16, uimg, key):
    """Peak RSS (KiB), the median of 3 runs of each command."""
    log(f"memory: peak RSS by {GNU_TIME} (load {loadavg()})")
    rows = []
    for what, lv, cs in (
            ("dump (16 KiB metadata)", [LUKSVOL, "dump", h16], [CRYPTSETUP, "luksDump", h16]),
            ("unlock (argon2id 256 MiB, slot 0)", cmd_unlock_luksvol(uimg, key),
             cmd_unlock_cryptsetup(uimg, key))):
        try:
            a = statistics.median(peak_rss_kib(lv) for _ in range(3))
            b = statistics.median(peak_rss_kib(cs) for _ in range(3))
            rows.append((what, a, b, None))
        except subprocess.CalledProcessError as e:
            rows.append((what, None, None, str(e)))
    return rows


# ---------------------------------------------------------------------- VM

def vm_figures():
    """One boot: open/close cycles and the kernel backend (vm_bench.sh)."""
    overlay = os.path.join(WORK, "vm-overlay")
    disk = os.path.join(WORK, "vm-disk.img")
    console = os.path.join(WORK, "vm-console.txt")
    have_static = os.path.exists(LUKSVOL_STATIC)
    conf = (f"OPENCLOSE_ROUNDS={OPENCLOSE_ROUNDS}\nKERNEL_ROUNDS={KERNEL_ROUNDS}\n"
            f"KERNEL_ITERATIONS={KERNEL_ITERATIONS}\n")
    script = f"""
set -e
source "{TOP}/tests/vm/vm.sh"
rm -rf "{overlay}"
mkdir -p "{overlay}/test/keys"
vm_add_program "{overlay}" "{LUKSVOL}"
vm_add_program "{overlay}" "{LVTIME}"
vm_add_program "{overlay}" "{LINK_FLOOR}"
{'vm_add_program "%s" "%s"' % (overlay, LUKSVOL_STATIC) if have_static else ':'}
install -D -m 0644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "{overlay}/lib/x86_64-linux-gnu/libgcc_s.so.1"
cp "{TOP}/bench/vm_bench.sh" "{overlay}/test/run.sh"
printf '%s' '{conf}' >"{overlay}/test/bench.conf"
printf '%s' 'vm bench passphrase' >"{overlay}/test/keys/pass.key"
rm -f "{disk}"
truncate -s 64M "{disk}"
vm_run "{overlay}" "{disk}" "{console}" 900
"""
    log(f"vm: one boot, {OPENCLOSE_ROUNDS} open/close cycles per tool and "
        f"{KERNEL_ROUNDS} kernel-backend unlocks (load {loadavg()})")
    load_before = loadavg()
    env = dict(os.environ, LV_TOP=TOP, BUILD=BUILD)
    p = subprocess.run(["bash", "-c", script], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    load_after = loadavg()
    times, info, errors = {}, [], []
    if os.path.exists(console):
        with open(console, errors="replace") as f:
            for line in f:
                line = line.replace("\r", "").strip()
                if line.startswith("BENCH "):
                    _, fig, rnd, variant, ns, rc = line.split()
                    if rc != "0":
                        errors.append(f"{fig} round {rnd} {variant}: exit {rc}")
                    elif int(rnd) > 0:      # round 0 is the warm-up
                        times.setdefault(fig, {}).setdefault(variant, []).append(int(ns))
                elif line.startswith("BENCH-INFO "):
                    info.append(line[len("BENCH-INFO "):])
                elif line.startswith("BENCH-ERROR "):
                    errors.append(line[len("BENCH-ERROR "):])
    if p.returncode != 0:
        errors.append(f"vm run failed: {p.stdout.strip()[-300:]}")
    return {"times": times, "info": info, "errors": errors,
            "load": [load_before, load_after]}


# ------------------------------------------------------------------- sizes

def file_bytes(path):
    return os.stat(path).st_size


def with_shared_libs(path):
    """Bytes of a program plus every library ldd lists (vdso aside)."""
    out = subprocess.run(["ldd", path], stdout=subprocess.PIPE, text=True).stdout
    total = file_bytes(path)
    for line in out.splitlines():
        for word in line.split():
            if word.startswith("/"):
                total += file_bytes(os.path.realpath(word))
                break
    return total


def size_figure():
    log("size: scripts/sizes.sh (static feature combinations)")
    table = None
    sizes_sh = os.path.join(TOP, "scripts", "sizes.sh")
    if os.path.exists(sizes_sh):
        p = subprocess.run(["bash", sizes_sh, os.path.join(BUILD, "sizes")], cwd=TOP,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        table = p.stdout.strip() if p.returncode == 0 else None
    cs = with_shared_libs(os.path.realpath(CRYPTSETUP))
    stripped = os.path.join(WORK, "luksvol-stripped")
    subprocess.run(["strip", "-o", stripped, LUKSVOL], check=True)
    rows = [("build/luksvol (OpenSSL, dynamic, stripped) + shared libraries",
             with_shared_libs(stripped), None)]
    candidates = [
        ("minimal static, CRYPTO=kernel (`make static`, build/luksvol-static)", LUKSVOL_STATIC,
         1.2e6),
        ("static, CRYPTO=openssl, same features (sizes.sh openssl-yaml1-blkid0)",
         LUKSVOL_STATIC_OPENSSL, 5e6),
    ]
    for label, path, goal in candidates:
        rows.append((label, file_bytes(path) if os.path.exists(path) else None, goal))
    return {"cryptsetup": cs, "rows": rows, "table": table}


# ----------------------------------------------------------------- reports

TARGETS = {
    ("dump-16k", "luksvol", "cryptsetup"): 0.2, ("dump-4m", "luksvol", "cryptsetup"): 0.2,
    ("dump-16k", "static-openssl", "cryptsetup"): 0.2,
    ("dump-4m", "static-openssl", "cryptsetup"): 0.2,
    ("unlock-slot0", "luksvol", "cryptsetup"): 1.0, ("unlock-slot7", "luksvol", "cryptsetup"): 1.0,
    ("unlock-slot0", "luksvol", "floor"): 1.03, ("unlock-slot7", "luksvol", "floor"): 1.03,
    ("format", "luksvol", "cryptsetup"): 1.0, ("add-key", "luksvol", "cryptsetup"): 1.0,
    ("openclose", "luksvol", "cryptsetup"): 0.5,
    ("openclose", "luksvol-static", "cryptsetup"): 0.5,
}


def ms(ns):
    return f"{ns / 1e6:.1f}" if ns < 1e10 else f"{ns / 1e9:.2f} s"


def ratio_rows(name, title, times, pairs):
    """(figure, title, ours, ref, n, ours median, ref median, ratio med/min/max, target)"""
    rows = []
    for ours, ref in pairs:
        a, b = times.get(ours), times.get(ref)
        if not a or not b or len(a) != len(b):
            continue
        rows.append((name, title, ours, ref, len(a), statistics.median(a), statistics.median(b),
                     summary(ratios(a, b)), TARGETS.get((name, ours, ref))))
    return rows


def verdict(ratio_median, target):
    if target is None:
        return ""
    return "met" if ratio_median <= target else "**missed**"


def write_reports(figs, mem, vm, sizes, started, only):
    rows, failed = [], []
    raw = [("figure", "round", "variant", "ns")]
    for f in figs:
        if f.error:
            failed.append((f.name, f.error))
        else:
            rows += ratio_rows(f.name, f.title, f.times, f.pairs)
        for label, t in f.times.items():
            raw += [(f.name, str(i + 1), label, str(ns)) for i, ns in enumerate(t)]
    if vm:
        vt = vm["times"]
        if "openclose" in vt:
            rows += ratio_rows("openclose", "VM: open + close cycles, pbkdf2-1000 keyslot",
                               vt["openclose"], [("luksvol", "cryptsetup"),
                                                 ("luksvol-static", "cryptsetup"),
                                                 ("link-floor", "cryptsetup")])
        if "kernel" in vt:
            rows += ratio_rows("kernel", f"VM: unlock, pbkdf2-sha256 {KERNEL_ITERATIONS} "
                               "iterations", vt["kernel"],
                               [("kernel", "openssl"), ("kernel", "cryptsetup")])
        for fig, variants in vt.items():
            raw += [(f"vm-{fig}", str(i + 1), label, str(ns))
                    for label, t in variants.items() for i, ns in enumerate(t)]
    with open(os.path.join(WORK, "raw.tsv"), "w") as out:
        out.writelines("\t".join(r) + "\n" for r in raw)

    write_plot(rows, sizes)
    md = []
    md.append("# luksvol benchmarks\n")
    md.append(f"Generated by `make bench` (bench/bench.py) on {started}; "
              f"{os.cpu_count()} CPUs, `uname -r` {os.uname().release}, "
              f"{subprocess.run([CRYPTSETUP, '--version'], stdout=subprocess.PIPE, text=True).stdout.strip()}."
              f"{' Only: ' + ', '.join(sorted(only)) + '.' if only else ''}\n")
    md.append("Each figure runs luksvol and its references in the same rounds, in an order "
              "reversed every other round; a ratio is luksvol's time over the reference's in "
              "the same round (below 1: luksvol is faster), summarised as median [min, max]. "
              "Times are medians in ms. The machine is shared with other jobs: the load "
              "average (1, 5, 15 min) before and after each figure is listed.\n")
    md.append("![ratios](results.png)\n")
    md.append("## Ratios\n")
    md.append("| figure | ours | vs | runs | ours ms | ref ms | ratio median [min, max] | target | "
              "| load before / after |")
    md.append("|---|---|---|---|---|---|---|---|---|---|")
    loads = {f.name: f.load for f in figs}
    if vm:
        loads["openclose"] = loads["kernel"] = vm["load"]
    for (name, title, ours, ref, n, a, b, (rm, rmin, rmax), target) in rows:
        md.append(f"| {name} | {ours} | {ref} | {n} | {ms(a)} | {ms(b)} | **{rm:.3f}** "
                  f"[{rmin:.3f}, {rmax:.3f}] | {'≤ %g' % target if target else ''} | "
                  f"{verdict(rm, target)} | {' / '.join(loads.get(name, []))} |")
    for name, err in failed:
        md.append(f"| {name} | | | | | | failed: {err} | | | |")
    if vm is None:
        md.append("| openclose, kernel | | | | | | not run (--no-vm) | | | |")
    md.append("")
    md.append("Figures:\n")
    for f in figs:
        md.append(f"- **{f.name}**: {f.title}; {f.rounds} rounds"
                  f"{', %d warm-up' % f.warmup if f.warmup else ''}.")
    md.append("- **floor**: Debian's `argon2` CLI with the keyslots' parameters (argon2id, t=4, "
              "m=2^18 KiB, p=2, 64-byte output), run once per keyslot an unlock has to try "
              "(1 for slot 0, 8 for slot 7).")
    if vm:
        md.append(f"- **openclose** (VM, qemu TCG, one boot): `open --key-file K /dev/vda NAME` "
                  f"then `close NAME`, {OPENCLOSE_ROUNDS} cycles per tool after one warm-up, "
                  "timed inside the VM by bench/lvtime (static).")
        md.append(f"- **kernel** (same boot): `open --test-passphrase` of a pbkdf2-sha256 keyslot "
                  f"with {KERNEL_ITERATIONS} iterations: build/luksvol-static (CRYPTO=kernel: "
                  "HMAC over AF_ALG) against the OpenSSL build (`openssl`) and cryptsetup, "
                  f"{KERNEL_ROUNDS} rounds after one warm-up.")
        for line in vm["info"]:
            md.append(f"  - VM: {line}")
        for e in vm["errors"]:
            md.append(f"  - VM error: {e}")
    md.append("")
    if mem is not None:
        md.append("## Memory: peak RSS (`/usr/bin/time -f %M`, median of 3)\n")
        md.append("| command | luksvol KiB | cryptsetup KiB | ratio |")
        md.append("|---|---|---|---|")
        for what, a, b, err in mem:
            if err:
                md.append(f"| {what} | failed: {err} | | |")
            else:
                md.append(f"| {what} | {a:.0f} | {b:.0f} | {a / b:.2f} |")
        md.append("")
    if sizes:
        cs = sizes["cryptsetup"]
        md.append("## Size\n")
        md.append(f"cryptsetup with its shared libraries (ldd, libc included): {cs} bytes "
                  f"({cs / 1e6:.2f} MB).\n")
        md.append("| binary | bytes | MB | ratio to cryptsetup + libs | goal | |")
        md.append("|---|---|---|---|---|---|")
        for label, b, goal in sizes["rows"]:
            goal_text = f"≤ {goal / 1e6:g} MB" if goal else ""
            if b is None:
                md.append(f"| {label} | pending: not built | | | {goal_text} | |")
            else:
                md.append(f"| {label} | {b} | {b / 1e6:.2f} | {b / cs:.3f} | {goal_text} | "
                          f"{verdict(b, goal)} |")
        md.append("")
        if sizes["table"]:
            md.append("Every static feature combination (scripts/sizes.sh; TPM and KMS have no "
                      "code yet and are off):\n")
            md.append(sizes["table"])
            md.append("")
        else:
            md.append("scripts/sizes.sh: pending (not present or failed).\n")
    notes = os.path.join(TOP, "bench", "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            md.append(f.read())
    with open(os.path.join(TOP, "bench", "RESULTS.md"), "w") as out:
        out.write("\n".join(md).rstrip() + "\n")
    log("wrote bench/RESULTS.md and bench/results.png; raw times in "
        f"{os.path.relpath(os.path.join(WORK, 'raw.tsv'), TOP)}")


def write_plot(rows, sizes):
    dat = os.path.join(WORK, "ratios.dat")
    with open(dat, "w") as out:
        out.write("# label median min max target\n")
        for (name, _, ours, ref, _, _, _, (rm, rmin, rmax), target) in rows:
            label = f"{name}\\n{ours}\\nvs {ref}"
            out.write(f"\"{label}\" {rm} {rmin} {rmax} {target if target else 'NaN'}\n")
        if sizes:
            cs = sizes["cryptsetup"]
            for label, b, goal in sizes["rows"]:
                if b is not None:
                    short = ("dynamic+libs" if "dynamic" in label else
                             "static kernel" if "kernel" in label else "static openssl")
                    out.write(f"\"size\\n{short}\\nvs cryptsetup+libs\" {b / cs} {b / cs} "
                              f"{b / cs} {goal / cs if goal else 'NaN'}\n")
    gp = os.path.join(TOP, "bench", "plot.gp")
    png = os.path.join(TOP, "bench", "results.png")
    p = subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png}'", gp],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        log(f"gnuplot failed: {p.stdout.strip()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated figures: dump-16k, dump-4m, "
                    "unlock-slot0, unlock-slot7, format, add-key, memory, vm, size")
    ap.add_argument("--no-vm", action="store_true")
    ap.add_argument("--rounds", type=int, default=0, help="override the host figures' rounds")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite RESULTS.md and the plot from the last run's measurements")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    state_file = os.path.join(WORK, "state.json")
    if args.report_only:
        with open(state_file) as f:
            st = json.load(f)
        figs = []
        for d in st["figs"]:
            f = Figure(d["name"], d["title"], [(v, []) for v in d["times"]], d["rounds"],
                       d["warmup"], pairs=[tuple(p) for p in d["pairs"]])
            f.times, f.load, f.error = d["times"], d["load"], d["error"]
            figs.append(f)
        if st["sizes"]:
            st["sizes"]["rows"] = [tuple(r) for r in st["sizes"]["rows"]]
        write_reports(figs, st["mem"], st["vm"], st["sizes"], st["started"],
                      set(st["only"]))
        return
    for need in (LUKSVOL, LVTIME, LINK_FLOOR, CRYPTSETUP, ARGON2, GNU_TIME):
        if not os.access(need, os.X_OK):
            sys.exit(f"bench: {need} is missing (make bench builds luksvol and lvtime; "
                     "scripts/deps.sh installs the rest)")
    if os.geteuid() != 0:
        sys.exit("bench: run as root (cryptsetup, and the VM's device-mapper)")
    os.makedirs(WORK, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.monotonic()
    # Sizes first: scripts/sizes.sh builds the static OpenSSL binary the
    # dump figures also time.
    sizes = size_figure() if not only or "size" in only else None
    figs, mem = host_figures(only, args.rounds)
    vm = None
    if not args.no_vm and (not only or "vm" in only):
        vm = vm_figures()
    with open(state_file, "w") as f:
        json.dump({"figs": [{"name": x.name, "title": x.title, "times": x.times,
                             "rounds": x.rounds, "warmup": x.warmup, "pairs": x.pairs,
                             "load": x.load, "error": x.error} for x in figs],
                   "mem": mem, "vm": vm, "sizes": sizes, "started": started,
                   "only": sorted(only)}, f)
    write_reports(figs, mem, vm, sizes, started, only)
    log(f"done in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
