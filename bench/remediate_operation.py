#!/usr/bin/env python3
"""Benchmark remediate in operation: how fast an event handler returns while its pipeline
runs on, what concurrent checks buy a pass, and what a hanging webhook costs.

Usage: bench/remediate_operation.py [--install] [--no-build]

  --install    apt-get install what is missing (hyperfine)
  --no-build   do not run `cargo build --release --bin remediate` first

Environment: TRIAGE_BIN_DIR (default target/release), BENCH_RUNS (default 10).

Cases, each in a private temporary directory removed at the end:
- event handler: `remediate event demo CRITICAL HARD 3` for a service whose pipeline is a
  3 s step. The peer is the classic synchronous Nagios handler (the restart-httpd example:
  run the restart, then exit), here `sh -c 'sleep 3'`: the time the monitoring core waits.
  Each run uses a fresh database, so every run acts.
- a pass over 16 `command` checks that each take 0.2 s (`sleep 0.2`), with concurrency 1, 4
  and 8 (`remediate check`, hyperfine -N).
- a pass whose failing service notifies a webhook that accepts and never answers
  (notify.timeout 2 s), against the same pass with no webhook: the pipeline runs at once
  either way; the exit waits at most the timeout plus one second.
One Markdown table is printed at the end.
"""

import argparse
import datetime
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import apt_install, first_line, median_ms


def die(message):
    print(f"remediate_operation.py: {message}", file=sys.stderr)
    sys.exit(1)


def write(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o644)


def hanging_server():
    """A listener that accepts and never answers; returns its port (the thread is a daemon)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept():
        listener.settimeout(600)
        try:
            while True:
                conn, _ = listener.accept()
                held.append(conn)
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        if args.install:
            apt_install(["hyperfine"])
        else:
            die("hyperfine is missing: apt-get install hyperfine (or pass --install)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "remediate"],
                       cwd=root, check=True)
    bin_dir = os.environ.get("TRIAGE_BIN_DIR", os.path.join(root, "target", "release"))
    remediate = os.path.join(bin_dir, "remediate")
    if not os.access(remediate, os.X_OK):
        die(f"no remediate at {remediate}")
    runs = int(os.environ.get("BENCH_RUNS", "10"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        # Event handler against the synchronous handler it replaces.
        event_cfg = os.path.join(tmp, "event.toml")
        write(event_cfg, f"""db_path = "{tmp}/event/remediate.db"
[services.demo]
check = {{ command = ["/bin/false"] }}
commands = {{ restart = "sleep 3" }}
recovery = ["restart"]
""")
        handler = [remediate, "-c", event_cfg, "event", "demo", "CRITICAL", "HARD", "3"]
        probe = subprocess.run(handler, capture_output=True, text=True, check=False)
        if "remediation started" not in probe.stdout:
            die(f"the event handler did not act: {probe.stdout}{probe.stderr}")
        # Before each run the last pipeline has ended and the database is fresh.
        event_ms, sync_ms = median_ms(
            [handler, ["sh", "-c", "sleep 3"]],
            runs,
            0,
            prepare=["sh", "-c", f"sleep 3.2; rm -rf {tmp}/event"],
        )
        rows.append(("event handler returns (pipeline: a 3 s step)", f"{event_ms:.1f}",
                     "synchronous handler", f"{sync_ms:.1f}", f"{sync_ms / event_ms:.0f}x"))

        # Concurrent checks.
        pass_ms = {}
        for concurrency in (1, 4, 8):
            cfg = os.path.join(tmp, f"pass{concurrency}.toml")
            services = "".join(
                f'[services.s{i}]\ncheck = {{ command = ["/bin/sleep", "0.2"] }}\n'
                for i in range(16))
            write(cfg, f'db_path = "{tmp}/pass{concurrency}/remediate.db"\n'
                       f"concurrency = {concurrency}\n{services}")
            done = subprocess.run([remediate, "-c", cfg, "check"], capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0 or done.stdout.count("OK") != 16:
                die(f"the 16-service pass failed: {done.stdout}{done.stderr}")
            pass_ms[concurrency] = median_ms([[remediate, "-c", cfg, "check"]], runs, 1)[0]
        for concurrency in (4, 8):
            rows.append((f"pass over 16 checks of 0.2 s, concurrency {concurrency}",
                         f"{pass_ms[concurrency]:.1f}", "concurrency 1",
                         f"{pass_ms[1]:.1f}", f"{pass_ms[1] / pass_ms[concurrency]:.1f}x"))

        # A hanging webhook.
        port = hanging_server()
        timings = {}
        for hook in (False, True):
            cfg = os.path.join(tmp, f"hook{hook}.toml")
            notify = (f'[notify]\ntimeout = "2s"\n[[notify.webhooks]]\n'
                      f'url = "http://127.0.0.1:{port}/hook/secret"\n') if hook else ""
            write(cfg, f"""db_path = "{tmp}/hook{hook}/remediate.db"
consecutive_failures = 1
{notify}
[services.demo]
check = {{ command = ["/bin/sh", "-c", "exit 2"] }}
commands = {{ fix = "true" }}
recovery = ["fix"]
""")
            best = []
            for _ in range(max(3, runs // 3)):
                shutil.rmtree(f"{tmp}/hook{hook}", ignore_errors=True)
                began = time.monotonic()
                done = subprocess.run([remediate, "-c", cfg, "check"], capture_output=True,
                                      text=True, check=False)
                best.append(time.monotonic() - began)
                if "run 1 succeeded" not in done.stdout:
                    die(f"the pipeline did not run: {done.stdout}{done.stderr}")
            best.sort()
            timings[hook] = best[len(best) // 2] * 1000
        rows.append(("remediate check exit, pipeline ran, webhook hangs (timeout 2 s; exit waits <= 3 s)",
                     f"{timings[True]:.1f}", "no webhook", f"{timings[False]:.1f}",
                     f"+{timings[True] - timings[False]:.0f} ms"))

    print(f"# remediate in operation, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: nproc {first_line(['nproc'])}; remediate: {remediate}; "
          f"{first_line(['hyperfine', '--version'])}; median of {runs} runs")
    print("\n| case | ours ms | peer | peer ms | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
