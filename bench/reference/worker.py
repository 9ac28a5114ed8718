"""Shared part of the reference workers: the protocol with the driver, the
inputs, timing and precision.

A worker is started by `cargo run -p bench --release --bin compare` as
`python <lib>_worker.py --preset seed|depth3`. It sets up its library,
prints one JSON line `{"ready": true, ...}` with its version, sizes and
precision, then answers each request line `{"reps": {"op": n, ...}}` with
`{"samples": {"op": [ns, ...]}}`, timing every repetition with
`time.perf_counter_ns`, until `{"quit": true}` or end of input. Errors are
reported as `{"error": "..."}` and end the worker.
"""

import json
import math
import platform
import random
import sys
import time
import traceback

# The presets of the Rust crate, as (ciphertext primes, special primes,
# log2 scale). Keep in step with ckks/src/params/presets.rs.
PRESETS = {
    "seed": ([60, 40, 40], [60], 40),
    "depth3": ([49, 40, 40, 40], [49], 40),
}

SLOTS = 4096
FEATURES = 30
STRIDE = 32


def preset():
    """The preset named by `--preset` (default `seed`)."""
    name = "seed"
    if "--preset" in sys.argv:
        name = sys.argv[sys.argv.index("--preset") + 1]
    if name not in PRESETS:
        raise SystemExit(f"unknown preset {name}: choose {', '.join(PRESETS)}")
    return name, PRESETS[name]


def inputs():
    """The inputs shared by every library: x, y uniform in [-1, 1] over all
    slots, 30 weights and a bias. The driver writes them to the JSON file
    named by `--inputs`; run alone, a worker draws its own (seed 7)."""
    if "--inputs" in sys.argv:
        with open(sys.argv[sys.argv.index("--inputs") + 1]) as f:
            d = json.load(f)
        if len(d["x"]) != SLOTS or len(d["y"]) != SLOTS or len(d["w"]) != FEATURES:
            raise SystemExit("--inputs: x and y need SLOTS values, w FEATURES")
        return d["x"], d["y"], d["w"], d["b"]
    rng = random.Random(7)
    x = [rng.uniform(-1.0, 1.0) for _ in range(SLOTS)]
    y = [rng.uniform(-1.0, 1.0) for _ in range(SLOTS)]
    w = [rng.uniform(-1.0, 1.0) for _ in range(FEATURES)]
    b = rng.uniform(-1.0, 1.0)
    return x, y, w, b


def replicated(w):
    """`w` zero-padded to the stride and repeated over every block."""
    block = list(w) + [0.0] * (STRIDE - len(w))
    return block * (SLOTS // STRIDE)


def expected_dot(x, w):
    """Slot b*STRIDE of the inner product of each block of x with w."""
    return [sum(x[b * STRIDE + i] * w[i] for i in range(len(w))) for b in range(SLOTS // STRIDE)]


def max_err(got, want):
    return max(abs(g - v) for g, v in zip(got, want))


def bits(err):
    """Bits of precision of a maximum absolute error."""
    return -math.log2(err) if err > 0 else 64.0


# Fresh encryptions per precision figure: the maximum error over the slots
# of one encryption varies by a few tenths of a bit from one to the next.
PRECISION_TRIALS = 64


def mean_precision(trial):
    """Averages, over `PRECISION_TRIALS` calls of `trial()` (each with
    fresh encryptions), the bits of each entry of the dict it returns."""
    runs = [trial() for _ in range(PRECISION_TRIALS)]
    return {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}


def serve(library, version, info, ops):
    """Runs the protocol; `ops` maps operation names to callables."""
    ready = {
        "ready": True,
        "library": library,
        "version": version,
        "python": platform.python_version(),
    }
    ready.update(info)
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        if msg.get("quit"):
            break
        out = {}
        try:
            for op, n in msg.get("reps", {}).items():
                f = ops.get(op)
                if f is None:
                    continue
                samples = []
                for _ in range(n):
                    t = time.perf_counter_ns()
                    f()
                    samples.append(time.perf_counter_ns() - t)
                out[op] = samples
        except Exception:  # report, do not hang the driver
            print(json.dumps({"error": traceback.format_exc()}), flush=True)
            return
        print(json.dumps({"samples": out}), flush=True)


def run(main):
    """Calls `main()`, turning a set-up failure into an error line."""
    try:
        main()
    except Exception:
        print(json.dumps({"error": traceback.format_exc()}), flush=True)
        sys.exit(1)
