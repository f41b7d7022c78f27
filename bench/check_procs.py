#!/usr/bin/env python3
"""Benchmark our check_procs against the C check_procs, side by side in one run.

Usage: bench/check_procs.py [--install] [--no-build] [--sleepers 0,1000,2000,5000]

  --install    apt-get install what is missing (hyperfine, monitoring-plugins-basic, time)
  --no-build   do not run `cargo build --release` first
  --sleepers   extra sleeping processes to start for each round (default 0,1000,2000,5000)

Environment: TRIAGE_BIN_DIR (default target/release), C_CHECK_PROCS (default
/usr/lib/nagios/plugins/check_procs), BENCH_RUNS (default 50), BENCH_WARMUP (default 5).

For every round it prints each filter's median wall time for both plugins and the ratio,
then the processes-vs-ms curves and the peak RSS of one run of ours. hyperfine runs the
commands without a shell (-N), alternating nothing: C and ours are measured back to back.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

from benchlib import apt_install, median_ms, peak_rss_kib

FILTERS = [
    ("no filter", []),
    ("-C bash", ["-C", "bash"]),
    ("-a sleep", ["-a", "sleep"]),
    ("-u root", ["-u", "root"]),
    ("-m RSS", ["-m", "RSS", "-w", "100000", "-c", "200000"]),
    ("--ereg-argument-array", ["--ereg-argument-array=^(ba|da)sh"]),
    ("-k", ["-k"]),
]


def die(message):
    print(f"check_procs.py: {message}", file=sys.stderr)
    sys.exit(1)


def ensure_tools(c_plugin, install):
    missing = []
    if not shutil.which("hyperfine"):
        missing.append("hyperfine")
    if not os.access(c_plugin, os.X_OK):
        missing.append("monitoring-plugins-basic")
    if not os.access("/usr/bin/time", os.X_OK):
        missing.append("time")
    apt_install(missing, install, die)


def process_count():
    return sum(1 for name in os.listdir("/proc") if name.isdigit())


def start_sleepers(count):
    sleepers = []
    for _ in range(count):
        sleepers.append(subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL))
    return sleepers


def stop(sleepers):
    for child in sleepers:
        child.kill()
    for child in sleepers:
        child.wait()


def main():
    parser = argparse.ArgumentParser(add_help=True)
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--sleepers", default="0,1000,2000,5000")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    bin_dir = os.environ.get("TRIAGE_BIN_DIR", "target/release")
    c_plugin = os.environ.get("C_CHECK_PROCS", "/usr/lib/nagios/plugins/check_procs")
    runs = int(os.environ.get("BENCH_RUNS", "50"))
    warmup = int(os.environ.get("BENCH_WARMUP", "5"))
    rounds = [int(n) for n in options.sleepers.split(",")]
    ensure_tools(c_plugin, options.install)
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "check_procs"], check=True)
    ours = os.path.abspath(os.path.join(bin_dir, "check_procs"))
    if not os.access(ours, os.X_OK):
        die(f"{ours} is missing: build with `cargo build --release`")
    # 5,000 sleepers need the room.
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft < max(rounds) + 1000:
        resource.setrlimit(resource.RLIMIT_NPROC, (hard, hard))

    curves = []
    for extra in rounds:
        sleepers = start_sleepers(extra)
        try:
            time.sleep(0.5)
            procs = process_count()
            print(f"\n== {procs} processes ({extra} extra sleepers), median of {runs} runs")
            print(f"{'filter':<24} {'C ms':>8} {'ours ms':>8} {'C/ours':>7}")
            row = {"processes": procs, "extra": extra}
            for label, args in FILTERS:
                c_ms, ours_ms = median_ms([[c_plugin, *args], [ours, *args]], runs, warmup)
                row[label] = (c_ms, ours_ms)
                print(f"{label:<24} {c_ms:8.2f} {ours_ms:8.2f} {c_ms / ours_ms:6.1f}x")
            curves.append(row)
        finally:
            stop(sleepers)

    print("\n== curves: processes vs median ms (no filter; -C bash)")
    print(f"{'processes':>10} {'C none':>8} {'ours none':>10} {'C -C':>8} {'ours -C':>8}")
    for row in curves:
        c_none, ours_none = row["no filter"]
        c_cmd, ours_cmd = row["-C bash"]
        print(f"{row['processes']:>10} {c_none:8.2f} {ours_none:10.2f} {c_cmd:8.2f} {ours_cmd:8.2f}")
    base = curves[0]
    print("\n== ours with the most processes vs the C plugin with none")
    for label, _ in FILTERS:
        print(f"{label:<24} ours@{curves[-1]['processes']}: {curves[-1][label][1]:.2f} ms"
              f"   C@{base['processes']}: {base[label][0]:.2f} ms")
    print("\n== peak RSS of one run")
    for label, args in [("ours, no filter", []), ("ours, --output-format json", ["--output-format", "json"])]:
        print(f"{label:<28} {peak_rss_kib([ours, *args])} KiB")
    print(f"{'C plugin, no filter':<28} {peak_rss_kib([c_plugin])} KiB (without its ps child)")
    print(f"{'/bin/true':<28} {peak_rss_kib(['/bin/true'])} KiB")


if __name__ == "__main__":
    main()
