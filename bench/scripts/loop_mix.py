#!/usr/bin/env python3
"""Operation mix of the loops of one compiled function, for port bounds.

Usage:
    python3 bench/scripts/loop_mix.py BINARY NAME [PERF_DATA]

BINARY is a release build (for example target/release/examples/profile_rotate),
NAME a part of the demangled function name (for example
'avx512::wide::forward_from'). For every loop of the function (a backward
jump inside it) that contains no other loop, prints how many 512-bit vector operations
one iteration issues to the two vector ports of a core with AVX-512, split
into those only one port runs (shuffles and unsigned minima on one, shifts
on the other: `cargo run --release -p bench --example port_throughput`
shows that split on the machine at hand) and those either runs. Compares
into mask registers are counted with the shuffles, an assumption that
example does not test; the NTT loops quoted in `docs/benchmarks.md` have
none. `vpmullq` counts as three. Not counted: loads, stores and broadcasts
from memory (load and store ports), zeroing idioms (`vpxord x, x, x`, done
at rename) and register-to-register moves, listed apart.

An iteration cannot take fewer cycles than `max(all / 2, one port's own)`;
the script prints that bound. With PERF_DATA (`perf record -e cpu-clock -o
PERF_DATA BINARY ...`), each loop's share of the function's samples is
printed too (`perf annotate`). Needs GNU objdump and nm (and perf).
"""

import collections
import re
import subprocess
import sys

SHUFFLE_PORT = (
    "vpshufd", "vpshufb", "vpermt2q", "vpermi2q", "vpermq", "vpermd",
    "vpunpcklqdq", "vpunpckhqdq", "vshufi64x2", "valignq", "vpalignr",
    "vpminuq", "vpmaxuq", "vpminsq", "vpmaxsq", "vpcmpuq", "vpcmpq",
    "vpcmpequq", "vpcmpeqq", "vpcmpgtq", "vpcmpltuq", "vpcmpnltuq",
    "vpcmpleuq", "vpcmpnleuq",
)
SHIFT_PORT = ("vpsrlq", "vpsllq", "vpsraq", "vpsrlvq", "vpsllvq", "vpsravq")
THREE_UOPS = ("vpmullq",)


def function_range(binary, name):
    out = subprocess.run(
        ["nm", "-C", "-S", binary], capture_output=True, text=True, check=True
    ).stdout
    hits = []
    for line in out.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and parts[2] in "tTwW" and name in parts[3]:
            hits.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    exact = [h for h in hits if h[2] == name]
    if len(exact) == 1:
        hits = exact
    if len(hits) != 1:
        names = "\n  ".join(h[2] for h in hits) or "(none)"
        sys.exit(f"{name!r} names {len(hits)} functions in {binary}:\n  {names}")
    return hits[0]


def disassemble(binary, start, size):
    out = subprocess.run(
        [
            "objdump", "-d", "--no-show-raw-insn", "-M", "intel",
            f"--start-address={start:#x}", f"--stop-address={start + size:#x}",
            binary,
        ],
        capture_output=True, text=True, check=True,
    ).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return insns


def classify(op, args):
    """('shuffle' | 'shift' | 'either' | 'memory' | 'zero' | 'move' | None, uops)."""
    if "zmm" not in args:
        return None, 0
    regs = re.findall(r"zmm\d+", args)
    memory = "[" in args
    if op.startswith(("vmov", "vbroadcast", "vpbroadcast")):
        return ("memory" if memory else "move"), 1
    if op in ("vpxord", "vpxorq", "vpxor") and len(set(regs)) == 1 and not memory:
        return "zero", 1
    uops = 3 if op in THREE_UOPS else 1
    if op in SHUFFLE_PORT:
        return "shuffle", uops
    if op in SHIFT_PORT:
        return "shift", uops
    return "either", uops


def sample_shares(perf_data, full, start):
    """Per address of the function, its percentage of the function's samples."""
    out = subprocess.run(
        ["perf", "annotate", "-i", perf_data, "--stdio", "-s", full],
        capture_output=True, text=True, check=True,
    ).stdout
    shares = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9.]+)?\s*:\s+([0-9a-f]+):", line)
        if m:
            shares[int(m.group(2), 16)] = float(m.group(1) or 0)
    if not shares:
        sys.exit(f"perf annotate found no samples of {full} in {perf_data}")
    # perf numbers the function from its own base; move it to nm's.
    shift = start - min(shares)
    return {addr + shift: pct for addr, pct in shares.items()}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, name = sys.argv[1], sys.argv[2]
    start, size, full = function_range(binary, name)
    insns = disassemble(binary, start, size)
    shares = sample_shares(sys.argv[3], full, start) if len(sys.argv) == 4 else None
    index = {addr: i for i, (addr, _, _) in enumerate(insns)}
    loops = []
    for i, (addr, op, args) in enumerate(insns):
        m = re.match(r"([0-9a-f]+)\b", args)
        if op.startswith("j") and m:
            target = int(m.group(1), 16)
            if target < addr and target in index:
                loops.append((index[target], i))
    # Innermost loops only (no other loop inside), in address order; the
    # same loop may appear once per inlined copy of a kernel.
    loops = sorted(
        {
            (f, l)
            for f, l in loops
            if not any((f, l) != (g, m) and f <= g and m <= l for g, m in loops)
        }
    )
    print(full)
    print(f"{'loop at':>10} {'insns':>6} {'all':>5} {'shuffle':>8} {'shift':>6} "
          f"{'bound':>6} {'samples':>8}  not counted")
    for first, last in loops:
        counts = collections.Counter()
        ops = collections.Counter()
        for _, op, args in insns[first:last + 1]:
            kind, uops = classify(op, args)
            if kind:
                counts[kind] += uops
                if kind in ("shuffle", "shift", "either"):
                    ops[op] += uops
        total = counts["shuffle"] + counts["shift"] + counts["either"]
        if total == 0:
            continue
        bound = max(total / 2, counts["shuffle"], counts["shift"])
        if shares is None:
            share = "-"
        else:
            share = "%.1f%%" % sum(shares.get(a, 0.0) for a, _, _ in insns[first:last + 1])
        print(f"{insns[first][0]:>#10x} {last - first + 1:>6} {total:>5} "
              f"{counts['shuffle']:>8} {counts['shift']:>6} {bound:>6.1f} {share:>8}  "
              f"memory {counts['memory']}, zeroing {counts['zero']}, moves {counts['move']}")
        mix = ", ".join(f"{op} {n}" for op, n in ops.most_common())
        print(f"{'':>10} {mix}")


if __name__ == "__main__":
    main()
