#!/usr/bin/env python3
"""Every plugin against the peer it replaces, side by side in one run, one table.

Usage: bench/all.py [--install] [--no-build] [--write-results] [--skip-docker]

  --install        apt-get install what is missing (hyperfine, time, monitoring-plugins-basic
                   and -standard, docker.io, busybox-static, openssl) and pip install
                   check-docker
  --no-build       do not run `cargo build --release --bins` first
  --write-results  also write the table, the date and the machine to bench/RESULTS.md
  --skip-docker    leave out check_container vs check_docker (no private dockerd)

Environment: TRIAGE_BIN_DIR (default target/release), BENCH_RUNS (default 30).

Cases (hyperfine -N medians, ours and the peer back to back in one hyperfine call; peak RSS
of one run each with GNU time; then the stripped binary sizes):
- /bin/true, the floor of starting any process;
- check_procs vs the C check_procs (monitoring-plugins-basic), with 0 and 5,000 extra
  sleeping processes, no filter and -C;
- check_http_health vs the C check_http and check_curl, HTTP and verified HTTPS, against
  local servers (bench/check_http_health.py's);
- check_heartbeat vs the Perl check_file_age, one fresh file;
- check_container vs the Python check_docker on a private dockerd (scripts/dockerd-sandbox),
  one container and 50 containers.
The per-plugin scripts (bench/check_*.py, bench/heartbeat.sh) go deeper into each.
"""

import argparse
import datetime
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import check_container
import check_http_health
import check_procs
from benchlib import (apt_install, first_line, median_ms, missing_libraries, peak_rss_kib,
                      stripped_size)

PLUGINS = "/usr/lib/nagios/plugins"
BINARIES = ["check_heartbeat", "check_procs", "check_http_health", "check_container",
            "heartbeat", "remediate"]


def die(message):
    print(f"all.py: {message}", file=sys.stderr)
    sys.exit(1)


def ensure_tools(install, docker):
    apt = []
    for tool, package in (("hyperfine", "hyperfine"), ("openssl", "openssl")):
        if not shutil.which(tool):
            apt.append(package)
    if not os.access("/usr/bin/time", os.X_OK):
        apt.append("time")
    if not os.access(f"{PLUGINS}/check_procs", os.X_OK):
        apt.append("monitoring-plugins-basic")
    if not os.access(f"{PLUGINS}/check_curl", os.X_OK):
        apt.append("monitoring-plugins-standard")
    apt += missing_libraries(f"{PLUGINS}/check_curl")
    if docker and not shutil.which("dockerd"):
        apt += ["docker.io", "busybox-static"]
    apt_install(apt, install, die)
    if docker and not check_container.find_check_docker():
        if not install:
            die("check_docker is missing: pip install check-docker (or pass --install)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "check-docker"], check=True)


class Table:
    """Rows of (case, ours argv, peer name, peer argv), measured in one place."""

    def __init__(self, runs):
        self.runs = runs
        self.rows = []

    def add(self, case, ours, peer_name=None, peer=None, runs=None, warmup=3):
        for argv in [ours] + ([peer] if peer else []):
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=120, check=False)
            if done.returncode not in (0, 1, 2):
                die(f"{case}: {argv[0]} exited {done.returncode}: {done.stdout}{done.stderr}")
        commands = [ours] + ([peer] if peer else [])
        print(f"measuring: {case} ...", file=sys.stderr, flush=True)
        times = median_ms(commands, runs or self.runs, warmup)
        self.rows.append({
            "case": case,
            "ours_ms": times[0],
            "peer": peer_name or "",
            "peer_ms": times[1] if peer else None,
            "ours_rss": peak_rss_kib(ours),
            "peer_rss": peak_rss_kib(peer) if peer else None,
        })

    def markdown(self):
        lines = ["| case | ours ms | peer | peer ms | peer/ours | ours RSS KiB | peer RSS KiB |",
                 "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
        for row in self.rows:
            if row["peer_ms"] is None:
                lines.append(f"| {row['case']} | {row['ours_ms']:.2f} | | | | {row['ours_rss']} | |")
            else:
                lines.append(f"| {row['case']} | {row['ours_ms']:.2f} | {row['peer']} "
                             f"| {row['peer_ms']:.2f} | {row['peer_ms'] / row['ours_ms']:.1f}x "
                             f"| {row['ours_rss']} | {row['peer_rss']} |")
        return "\n".join(lines)


def procs_cases(table, bin_dir):
    ours = os.path.join(bin_dir, "check_procs")
    peer = f"{PLUGINS}/check_procs"
    for extra in (0, 5000):
        sleepers = check_procs.start_sleepers(extra)
        try:
            time.sleep(0.5)
            count = check_procs.process_count()
            for label, args in (("no filter", []), ("-C bash", ["-C", "bash"])):
                table.add(f"check_procs, {count} processes, {label}", [ours, *args],
                          "C check_procs", [peer, *args], runs=min(table.runs, 20))
        finally:
            check_procs.stop(sleepers)


def http_cases(table, bin_dir, tmp):
    ours = os.path.join(bin_dir, "check_http_health")
    leaf = check_http_health.make_certificate(
        tmp, "leaf", ["-addext", "basicConstraints=critical,CA:FALSE"])
    servers = check_http_health.start_servers([(*leaf, True)])
    try:
        port, tls_port = (server.port for server in servers)
        http_args = ["-I", "127.0.0.1", "-p", str(port), "-u", "/health"]
        tls_args = ["-H", "localhost", "-I", "127.0.0.1", "-p", str(tls_port), "-S", "-u", "/health"]
        # -D: check_curl verifies the certificate only when told.
        health = [ours, f"http://127.0.0.1:{port}/health"]
        for name, peer in (("C check_http", f"{PLUGINS}/check_http"),
                           ("C check_curl", f"{PLUGINS}/check_curl")):
            table.add("check_http_health, HTTP /health", health, name, [peer, *http_args])
        # Ours verifies the certificate (the test CA); check_curl is told the same CA.
        tls = [ours, f"https://localhost:{tls_port}/health", "--ca-file", leaf[0]]
        table.add("check_http_health, HTTPS /health, verified", tls, "C check_curl",
                  [f"{PLUGINS}/check_curl", *tls_args, "-D", "--ca-cert", leaf[0]])
    finally:
        check_http_health.stop_servers(servers)


def heartbeat_cases(table, bin_dir, tmp):
    path = os.path.join(tmp, "worker.json")
    subprocess.run([os.path.join(bin_dir, "heartbeat"), "beat", "--file", path], check=True)
    table.add("check_heartbeat, one fresh file",
              [os.path.join(bin_dir, "check_heartbeat"), "-f", path, "-w", "60", "-c", "120"],
              "Perl check_file_age",
              [f"{PLUGINS}/check_file_age", "-f", path, "-w", "60", "-c", "120"])


def container_cases(table, bin_dir):
    theirs = check_container.find_check_docker()
    sandbox_dir = os.environ.get("BENCH_SANDBOX_DIR", "/tmp/allbench")
    try:
        host = check_container.sandbox("start", sandbox_dir, capture=True).strip().splitlines()[-1]
        check_container.sandbox("containers", sandbox_dir, capture=True)
        check_container.sandbox("many", sandbox_dir, "50")
        ours = [os.path.join(bin_dir, "check_container"), "--host", host]
        peer = [theirs, "--connection", host[len("unix://"):]]
        table.add("check_container, 1 container, status", [*ours, "t_plain"], "Python check_docker",
                  [*peer, "--containers", "t_plain", "--status", "running"])
        table.add("check_container, 50 containers, status", [*ours, "--label", "triage.many=1"],
                  "Python check_docker", [*peer, "--containers", "t_many_.*", "--status", "running"])
    finally:
        subprocess.run([check_container.SANDBOX, "stop", sandbox_dir], check=False,
                       stdin=subprocess.DEVNULL)


def check_docker_module():
    """The file that holds check_docker's code (its console script is a stub), or None."""
    try:
        spec = importlib.util.find_spec("check_docker.check_docker")
    except ImportError:
        return None
    return spec.origin if spec else None


def sizes(bin_dir):
    peers = {"check_procs": (f"{PLUGINS}/check_procs", ""),
             "check_http_health": (f"{PLUGINS}/check_http", ""),
             "check_heartbeat": (f"{PLUGINS}/check_file_age", " (Perl script)"),
             "check_container": (check_docker_module(), " (Python module)")}
    lines = ["| binary | stripped KiB | peer | peer KiB |", "| --- | ---: | --- | ---: |"]
    for name in BINARIES:
        path = os.path.join(bin_dir, name)
        peer_path, kind = peers.get(name, (None, ""))
        peer, peer_kib = "", ""
        if peer_path and os.path.exists(peer_path):
            shown = peer_path if peer_path.startswith(PLUGINS) else "…/" + "/".join(peer_path.split("/")[-2:])
            peer, peer_kib = f"{shown}{kind}", f"{os.path.getsize(peer_path) / 1024:.0f}"
        lines.append(f"| {name} | {stripped_size(path) / 1024:.0f} | {peer} | {peer_kib} |")
    lines.append("")
    lines.append("Ours carry their own HTTP, TLS (rustls) and JSON code and link only to libc; the C "
                 "plugins load libc, OpenSSL or libcurl at run time, and the scripts need their "
                 "interpreter, none of which their sizes count.")
    return "\n".join(lines)


def on_sigterm(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--skip-docker", action="store_true")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    ensure_tools(options.install, not options.skip_docker)
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--bins"], check=True)
    bin_dir = os.path.abspath(os.environ.get("TRIAGE_BIN_DIR", "target/release"))
    for name in BINARIES:
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            die(f"{bin_dir}/{name} is missing: cargo build --release --bins")
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        os.environ.pop(name, None)
    signal.signal(signal.SIGTERM, on_sigterm)
    table = Table(int(os.environ.get("BENCH_RUNS", "30")))
    started = time.monotonic()
    table.add("/bin/true (the floor)", ["/bin/true"])
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        procs_cases(table, bin_dir)
        http_cases(table, bin_dir, tmp)
        heartbeat_cases(table, bin_dir, tmp)
    if not options.skip_docker:
        container_cases(table, bin_dir)
    machine = (f"{first_line(['nproc'])} cores, {os.uname().machine}, kernel {os.uname().release}, "
               f"{first_line(['hyperfine', '--version'])}, median of {table.runs} runs "
               f"(20 for check_procs); run took {time.monotonic() - started:.0f} s")
    when = f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    report = (f"# Triage against its peers, {when}\n\nmachine: {machine}\n\n"
              f"{table.markdown()}\n\n## Binary sizes\n\n{sizes(bin_dir)}\n")
    print(report)
    if options.write_results:
        with open(os.path.join(root, "bench", "RESULTS.md"), "w", encoding="utf-8") as out:
            out.write(report)
            out.write("\nMade by `bench/all.py --write-results`; ratios are peer time / our time "
                      "in the same run.\n")


if __name__ == "__main__":
    main()
