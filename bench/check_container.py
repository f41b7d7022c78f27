#!/usr/bin/env python3
"""Benchmark our check_container against the Python check_docker (PyPI), side by side in one run.

Usage: bench/check_container.py [--install] [--no-build] [--many 50]

  --install    apt-get install what is missing (docker.io, busybox-static, hyperfine, time)
               and `pip install check-docker`
  --no-build   do not run `cargo build --release --bin check_container` first
  --many       running t_many_* containers for the many-containers case (default 50)

Environment: TRIAGE_BIN_DIR (default target/release), CHECK_DOCKER (default: the check_docker
script next to this Python, else the one on PATH), BENCH_RUNS (default 30), BENCH_WARMUP
(default 3), BENCH_STATS_RUNS (default 10, for the cases that fetch CPU stats: ~1-2 s a run),
BENCH_SANDBOX_DIR (default /tmp/ccbench; kept short for the unix socket paths).

It starts a private dockerd with scripts/dockerd-sandbox (no network, no registry), creates the
standard t_* test containers and N t_many_* ones, runs every command once (printing its exit code
and first output line; a broken run of ours, exit 3, aborts), then measures with hyperfine -N
(no shell), ours and check_docker back to back in one hyperfine call per case, and the peak RSS
of one run of each with GNU time. The daemon is always stopped at the end, also on errors, Ctrl-C
and SIGTERM. One Markdown table is printed at the end.
"""

import argparse
import datetime
import os
import shlex
import shutil
import signal
import subprocess
import sys

from benchlib import first_line, median_ms, peak_rss_kib, stripped_size

SANDBOX = "scripts/dockerd-sandbox"
DOCKER_CLI = "/usr/bin/docker"


def die(message):
    print(f"check_container.py: {message}", file=sys.stderr)
    sys.exit(1)


def find_check_docker():
    """The real check_docker script: a pyenv shim (a bash script running `pyenv exec`) would add
    tens of ms to every run, so prefer the one installed next to this interpreter."""
    if os.environ.get("CHECK_DOCKER"):
        return os.environ["CHECK_DOCKER"]
    beside = os.path.join(os.path.dirname(sys.executable), "check_docker")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("check_docker")


def ensure_tools(install):
    apt = []
    if not shutil.which("hyperfine"):
        apt.append("hyperfine")
    if not os.access("/usr/bin/time", os.X_OK):
        apt.append("time")
    if not os.access("/usr/sbin/dockerd", os.X_OK) or not (
            os.access(DOCKER_CLI, os.X_OK) or shutil.which("docker")):
        apt.append("docker.io")
    if not os.access("/usr/bin/busybox", os.X_OK):
        apt.append("busybox-static")
    pip = [] if find_check_docker() else ["check-docker"]
    if not apt and not pip:
        return
    if not install:
        wanted = []
        if apt:
            wanted.append(f"apt-get install {' '.join(apt)}")
        if pip:
            wanted.append("pip install check-docker")
        die(f"missing: {' '.join(apt + pip)} ({'; '.join(wanted)}; or pass --install)")
    if apt:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *apt], check=True, env=env)
    if pip:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "check-docker"], check=True)
        if not find_check_docker():
            die("pip installed check-docker but no check_docker command was found (set CHECK_DOCKER)")


def try_once(label, argv):
    """Run a command once; print its exit code and first output line. Returns the exit code."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    lines = (done.stdout or done.stderr).strip().splitlines()
    first = lines[0] if lines else "(no output)"
    if len(first) > 110:
        first = first[:107] + "..."
    print(f"  {label:<50} exit {done.returncode}: {first}")
    return done.returncode


def sandbox(*args, capture=False):
    """scripts/dockerd-sandbox ARGS; its diagnostics go to our stderr."""
    done = subprocess.run([SANDBOX, *args], stdin=subprocess.DEVNULL, check=True, text=True,
                          stdout=subprocess.PIPE if capture else None)
    return done.stdout if capture else None






def on_sigterm(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so that the finally block stops the daemon.
    raise SystemExit(128 + signum)


def run(options, ours, theirs, sandbox_dir):
    host = sandbox("start", sandbox_dir, capture=True).strip().splitlines()[-1]
    sock = host[len("unix://"):]
    docker = DOCKER_CLI if os.access(DOCKER_CLI, os.X_OK) else shutil.which("docker")
    states = sandbox("containers", sandbox_dir, capture=True)
    sandbox("many", sandbox_dir, str(options.many))

    runs = int(os.environ.get("BENCH_RUNS", "30"))
    warmup = int(os.environ.get("BENCH_WARMUP", "3"))
    stats_runs = int(os.environ.get("BENCH_STATS_RUNS", "10"))
    stats_warmup = min(warmup, 1)

    print(f"\n# check_container vs check_docker, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {os.cpu_count()} CPUs (nproc {first_line(['nproc'])}), kernel {os.uname().release}, "
          f"docker {first_line([docker, '-H', host, 'version', '--format', '{{.Server.Version}}'])}")
    print(f"ours: {ours} ({first_line([ours, '--version'])}), "
          f"stripped size {stripped_size(ours) / 1024:.0f} KiB ({os.path.getsize(ours) / 1024:.0f} KiB on disk)")
    print(f"theirs: {theirs} ({first_line([theirs, '-V'])}, Python {sys.version.split()[0]})")
    print(f"{first_line(['hyperfine', '--version'])}; median of {runs} runs "
          f"({stats_runs} with stats), warmup {warmup}; sandbox {host}")
    print("test containers:")
    for line in states.strip().splitlines():
        print(f"  {line}")

    many = options.many
    cd = [theirs, "--connection", sock]
    ch = [ours, "--host", host]
    # (label, ours argv, check_docker argv, runs, warmup)
    cases = [
        ("1 container, status", [*ch, "t_plain"],
         [*cd, "--containers", "t_plain", "--status", "running"], runs, warmup),
        ("1 healthy container, status + health", [*ch, "t_healthy"],
         [*cd, "--containers", "t_healthy", "--status", "running", "--health"], runs, warmup),
        (f"{many} containers, status", [*ch, "--label", "triage.many=1"],
         [*cd, "--containers", "t_many_.*", "--status", "running"], runs, warmup),
        ("1 container, CPU stats", [*ch, "t_cpu", "--cpu-warning", "90"],
         [*cd, "--containers", "t_cpu", "--cpu", "90:95"], stats_runs, stats_warmup),
    ]

    print("\none run of each (exit code, first line):")
    codes = []
    for label, ours_argv, theirs_argv, _, _ in cases:
        ours_rc = try_once(f"ours: {label}", ours_argv)
        if ours_rc == 3 or ours_rc < 0:
            die(f"ours exited {ours_rc} for '{label}': {shlex.join(ours_argv)}")
        theirs_rc = try_once(f"check_docker: {label}", theirs_argv)
        if theirs_rc == 3:
            print("    (check_docker exited UNKNOWN: its timing below is of a failing run)")
        codes.append((ours_rc, theirs_rc))

    rows = []
    true_ms, = median_ms([["/bin/true"]], runs, warmup)
    rows.append(("/bin/true (floor)", true_ms, None, peak_rss_kib(["/bin/true"]), None, "0"))
    for (label, ours_argv, theirs_argv, n, w), (ours_rc, theirs_rc) in zip(cases, codes):
        print(f"measuring: {label} ...", flush=True)
        ours_ms, theirs_ms = median_ms([ours_argv, theirs_argv], n, w)
        rows.append((label, ours_ms, theirs_ms, peak_rss_kib(ours_argv), peak_rss_kib(theirs_argv),
                     f"{ours_rc} / {theirs_rc}"))

    print("\n| case | ours ms | check_docker ms | check_docker/ours | ours RSS KiB | check_docker RSS KiB | exit ours / theirs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | :---: |")
    for label, ours_ms, theirs_ms, ours_rss, theirs_rss, rc in rows:
        if theirs_ms is None:
            print(f"| {label} | {ours_ms:.2f} | | | {ours_rss} | | {rc} |")
        else:
            print(f"| {label} | {ours_ms:.2f} | {theirs_ms:.2f} | {theirs_ms / ours_ms:.1f}x "
                  f"| {ours_rss} | {theirs_rss} | {rc} |")


def main():
    parser = argparse.ArgumentParser(add_help=True)
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--many", type=int, default=50)
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    if os.geteuid() != 0:
        die("the docker sandbox needs root")
    ensure_tools(options.install)
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "check_container"], check=True)
    bin_dir = os.environ.get("TRIAGE_BIN_DIR", "target/release")
    ours = os.path.abspath(os.path.join(bin_dir, "check_container"))
    if not os.access(ours, os.X_OK):
        die(f"{ours} is missing: build with `cargo build --release --bin check_container`")
    theirs = find_check_docker()
    sandbox_dir = os.environ.get("BENCH_SANDBOX_DIR", "/tmp/ccbench")

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGHUP, on_sigterm)
    try:
        run(options, ours, theirs, sandbox_dir)
    except KeyboardInterrupt:
        print("\ncheck_container.py: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        # A second Ctrl-C must not leave the daemon behind half-stopped.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        print(f"\nstopping the sandbox dockerd in {sandbox_dir} ...", file=sys.stderr, flush=True)
        done = subprocess.run([SANDBOX, "stop", sandbox_dir], stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            print(f"check_container.py: `{SANDBOX} stop {sandbox_dir}` failed ({done.returncode})",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
