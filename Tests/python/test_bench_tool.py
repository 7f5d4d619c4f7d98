"""`manifold-bench` works (BENCHMARKS.md): it is the only judge of performance, so it is checked
here for what it does, never for how fast anything is. Each run is small; no figure is compared
with a threshold.

* over stdio it launches the server, counts the tools of W1, and every sequential and pipelined
  answer is checked: a wrong answer fails the run, naming the request and the answer;
* the stdio floor (`manifold-bench ceiling --stdio`) answers it;
* over HTTP, with a session, the native client and wrk (when installed) see only 2xx answers
  that carry their own ids;
* `suite --quick` starts its servers (the ceiling, Manifold stateless and stateful, in-process and
  isolated) and writes a report with every row and its targets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, find_manifold_bin

pytestmark = pytest.mark.usefixtures("manifold_bin")

BENCH_MANIFEST = str(ROOT / "manifests" / "bench.yaml")


@pytest.fixture
def bench() -> Path:
    path = find_manifold_bin().parent / "manifold-bench"
    assert path.is_file(), f"manifold-bench was not built next to {find_manifold_bin()}"
    return path


def run(*args, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "MANIFOLD_CACHE_DIR": str(tmp_path / "cache"), "SWIFT_BACKTRACE": "enable=no"}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env, cwd=str(ROOT))


def test_stdio_counts_the_tools_and_checks_every_answer(bench, tmp_path):
    manifold = find_manifold_bin()
    result = run(bench, "stdio", "--count", "200", "--pipelined", "3000", "--window", "64", "--lists", "3",
                 "--", manifold, "serve", BENCH_MANIFEST, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    # W1: three mounts of the Bench plugin, `wipe` (admin) filtered out.
    assert re.search(r"^launch → tools/list answered: [\d.]+ m?s \(6 tools, [\d,]+ bytes\)$", result.stdout, re.M), result.stdout
    assert re.search(r"^tools/list: p50 [\d.]+ [µm]s, p99 [\d.]+ [µm]s \(3 lists\)$", result.stdout, re.M), result.stdout
    assert re.search(r"^sequential p1_add: p50 [\d.]+ [µm]s, p99 [\d.]+ [µm]s \(200 calls\)$", result.stdout, re.M), result.stdout
    assert re.search(r"^pipelined p1_add: [\d,]+ calls/s \(window 64\)$", result.stdout, re.M), result.stdout
    assert re.search(r"^peak RSS \(with children\): [\d.]+ MB$", result.stdout, re.M), result.stdout


def test_a_wrong_answer_fails_the_run_and_is_shown(bench, tmp_path):
    manifold = find_manifold_bin()
    result = run(bench, "stdio", "--count", "20", "--pipelined", "0", "--lists", "0", "--expect", '"text":"6"',
                 "--", manifold, "serve", BENCH_MANIFEST, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "unexpected answer to request" in result.stderr
    assert '"text":"5"' in result.stderr


def test_the_stdio_floor_answers_the_client(bench, tmp_path):
    result = run(bench, "stdio", "--count", "50", "--pipelined", "500", "--lists", "0", "--", bench, "ceiling", "--stdio",
                 tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(50 calls)" in result.stdout and "pipelined p1_add:" in result.stdout


def test_http_with_a_session_sees_only_good_answers(bench, tmp_path, http_server):
    server = http_server(BENCH_MANIFEST)
    wrk = shutil.which("wrk") is not None
    result = run(bench, "http", server.url, "--session", "--count", "100",
                 "--seconds", "1" if wrk else "0", "--connections", "4", "--threads", "1", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^sequential p1_add: p50 [\d.]+ [µm]s, p99 [\d.]+ [µm]s \(100 calls\)$", result.stdout, re.M), result.stdout
    if wrk:
        assert re.search(r"wrk -t1 -c4 -d1s: [\d,]+ req/s, .* 0 non-2xx, 0 wrong ids, 0 socket errors", result.stdout), result.stdout


def test_the_suite_runs_http_and_w4_and_reports_its_targets(bench, tmp_path):
    """`suite --quick` end to end: the servers it starts, the report it writes. Only that the
    figures are there is checked, never their size (a debug build under test load)."""
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (CI installs it)")
    report = tmp_path / "report.md"
    result = run(bench, "suite", "--quick", "--only", "http,w4", "--seconds", "1", "--manifold", find_manifold_bin(),
                 "--work", tmp_path / "work", "--output", report, tmp_path=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    text = report.read_text()
    for row in ("| ceiling (bare NIO, fixed body) |", "| Manifold, stateless |", "| Manifold, stateful session |",
                "| in-process |", "| isolated (runner child) |"):
        assert row in text, row
    assert "Every response was 2xx and carried its request's id." in text
    assert re.search(r"^Isolation adds -?[\d.]+ [µm]s per call at p50", text, re.M), text
    targets = text[text.index("## Targets"):]
    assert "HTTP tools/call throughput ≥ 50 % of the ceiling (stateless)" in targets
    assert "W4: isolated adds ≤ 30 µs p50 per call" in targets
