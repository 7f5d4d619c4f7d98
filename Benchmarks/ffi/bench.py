#!/usr/bin/env python3
"""Sequential tools/call round trips over stdio: an ffi call isolated vs in-process vs a native
plugin call (and a native plugin isolated, to separate the cost of isolation from the cost of
libffi).

    python3 Benchmarks/ffi/bench.py [--calls 20000] [--bin .build-ffi/release/manifold]

Each mode starts `manifold serve <host>` with one mount, initializes, warms up, then sends one
request at a time and waits for its response (no pipelining): the latency of one call through
the whole host (stdin reader, envelope scan, routing, provider, plugin, response writer).

* native      — Plugins/Bench `add {"a":2,"b":3}` (C, plugin ABI), in-process
* native-iso  — the same plugin, execution: isolated (host → runner over a pipe)
* ffi         — FFITest `ffitest_mul_u64 {"a":2,"b":3}` through libffi, in-process
* ffi-iso     — the same, isolated (the default for ffi)
* pipe        — baseline: the same request line echoed by `cat` (the client's own cost)

The client is Python (a blocking pipe loop); its own cost per round trip is in every number,
and is measured by the `pipe` mode: "host p50" subtracts it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PLUGIN_MODES = {
    "native": ("Plugins/Bench/bench.plugin.yaml", "in-process", "add"),
    "native-iso": ("Plugins/Bench/bench.plugin.yaml", "isolated", "add"),
    "ffi": ("manifests/ffi/ffitest.plugin.yaml", "in-process", "mul_u64"),
    "ffi-iso": ("manifests/ffi/ffitest.plugin.yaml", "isolated", "mul_u64"),
}


def write_host(folder: Path, mode: str) -> Path:
    manifest, execution, _ = PLUGIN_MODES[mode]
    text = (ROOT / manifest).read_text()
    lines = [line for line in text.splitlines() if not line.startswith("execution:")]
    lines.append(f"execution: {execution}")
    plugin = folder / f"{mode}.plugin.yaml"
    plugin.write_text("\n".join(lines) + "\n")
    host = folder / f"{mode}.host.yaml"
    host.write_text(f"kind: host\nmounts:\n  - plugin: {plugin}\n")
    return host


def run_pipe_baseline(calls: int, warmup: int) -> list[float]:
    """The client's own cost: the same request line echoed back by `cat`."""
    process = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    stdin, stdout = process.stdin, process.stdout
    assert stdin and stdout
    message = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}\n'
    for _ in range(warmup):
        stdin.write(message)
        stdout.readline()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        stdin.write(message)
        stdout.readline()
        samples.append((clock() - start) / 1000)
    stdin.close()
    process.wait(timeout=10)
    return samples


def run(binary: str, mode: str, calls: int, warmup: int) -> list[float]:
    if mode == "pipe":
        return run_pipe_baseline(calls, warmup)
    with tempfile.TemporaryDirectory() as tmp:
        host = write_host(Path(tmp), mode)
        env = dict(os.environ, MANIFOLD_LIBRARY_PATH=str(ROOT / "Plugins" / "Bench"))
        process = subprocess.Popen([binary, "serve", str(host)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=env, cwd=str(ROOT), bufsize=0)
        stdin, stdout = process.stdin, process.stdout
        assert stdin and stdout

        def request(message: bytes) -> dict:
            stdin.write(message)
            return json.loads(stdout.readline())

        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}
        request(json.dumps(init).encode() + b"\n")
        stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        tool = PLUGIN_MODES[mode][2]
        message = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                               "params": {"name": tool, "arguments": {"a": 2, "b": 3}}}) + "\n").encode()
        first = request(message)
        assert first.get("result", {}).get("structuredContent") == {"result": 6 if tool == "mul_u64" else 5}, first
        for _ in range(warmup):
            request(message)
        samples = []
        clock = time.perf_counter_ns
        for _ in range(calls):
            start = clock()
            stdin.write(message)
            stdout.readline()
            samples.append((clock() - start) / 1000)
        stdin.close()
        process.wait(timeout=10)
        return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--bin", default=str(ROOT / ".build-ffi" / "release" / "manifold"))
    parser.add_argument("--modes", default="pipe,native,native-iso,ffi,ffi-iso")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the modes interleaved this many times; report per mode the round with the lowest p50")
    args = parser.parse_args()
    modes = args.modes.split(",")
    results: dict[str, dict] = {}
    for _ in range(args.rounds):
        for mode in modes:
            samples = sorted(run(args.bin, mode, args.calls, args.warmup))
            round_result = {
                "mean_us": statistics.fmean(samples),
                "p50_us": samples[len(samples) // 2],
                "p99_us": samples[int(len(samples) * 0.99)],
            }
            if mode not in results or round_result["p50_us"] < results[mode]["p50_us"]:
                results[mode] = round_result
    base = results.get("native", next(iter(results.values())))
    pipe = results.get("pipe", {"p50_us": 0.0})["p50_us"]
    print(f"{'mode':<11} {'p50 µs':>8} {'mean µs':>8} {'p99 µs':>8} {'p50 × native':>13} {'host p50 µs':>12} {'host × native':>14}")
    for mode, r in results.items():
        host = r["p50_us"] - pipe
        base_host = base["p50_us"] - pipe
        print(f"{mode:<11} {r['p50_us']:8.1f} {r['mean_us']:8.1f} {r['p99_us']:8.1f} "
              f"{r['p50_us'] / base['p50_us']:13.2f} {host:12.1f} {host / base_host if base_host > 0 else 0:14.2f}")
    print("host p50 = p50 minus the pipe baseline (the client's own round trip through `cat`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
