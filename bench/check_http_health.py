#!/usr/bin/env python3
"""Benchmark our check_http_health against the C check_http and check_curl, side by side in one run.

Usage: bench/check_http_health.py [--install] [--no-build]

  --install    apt-get update, then install what is missing of monitoring-plugins-basic
               (check_http), monitoring-plugins-standard (check_curl: on Debian it is not in
               -basic), hyperfine, time and openssl
  --no-build   do not run `cargo build --release --bin check_http_health` first

Environment: TRIAGE_BIN_DIR (default target/release), C_CHECK_HTTP (default
/usr/lib/nagios/plugins/check_http), C_CHECK_CURL (default /usr/lib/nagios/plugins/check_curl),
BENCH_RUNS (default 30), BENCH_WARMUP (default 3), BENCH_HOSTILE_RUNS (default 3).

Everything talks to servers this script starts itself, in Python threads, on 127.0.0.1 (random
free ports), all with TCP_NODELAY as real servers (nginx, Tomcat, Go, Node) have it unless said:
  - HTTP: /health (a Spring Boot style JSON document), /endless (200, no Content-Length, 64 KiB
    blocks until the client goes, at most 60 s) and /hang (never answers, at most 60 s);
  - HTTPS: /health with a self-signed certificate made at run time with openssl and marked
    CA:FALSE (webpki, hence ours, refuses a CA:TRUE certificate as the server's own);
  - HTTPS: the same without TCP_NODELAY (Python's default), timed as a case of its own;
  - HTTPS: /health with `openssl req -x509`'s default CA:TRUE certificate, tried once by ours
    and check_curl, for the record.
The proxy variables are removed from the environment so that every plugin connects directly.
Every command runs once first (exit code and first output line; ours exiting 3 aborts), then
ours, check_http and check_curl are timed back to back in one hyperfine -N call per case (no
shell). For the hostile servers (-t 2), each plugin runs BENCH_HOSTILE_RUNS times under GNU time,
timed in Python: the worst wall time, overshoot past the 2 s deadline and peak RSS are reported.
The servers are always shut down at the end, also on errors, Ctrl-C and SIGTERM. One
Markdown table is printed at the end.
"""

import argparse
import datetime
import http.server
import json
import os
import select
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import (apt_install, first_line, median_ms, missing_libraries, peak_rss_kib,
                      stripped_size)

PLUGINS = "/usr/lib/nagios/plugins"
HEALTH_BODY = json.dumps(
    {"status": "UP", "components": {"db": {"status": "UP"}, "diskSpace": {"status": "UP"}}},
    separators=(",", ":")).encode()
BLOCK = b"x" * 65536
SERVER_BOUND_S = 60      # /endless and /hang give up after this long
DEADLINE_S = 2           # -t for the hostile cases
OVERSHOOT_GOAL_MS = 200
RSS_GOAL_KIB = 16 * 1024

# Set at shutdown: wakes every /hang and /endless handler still running.
STOPPING = threading.Event()


def die(message):
    print(f"check_http_health.py: {message}", file=sys.stderr)
    sys.exit(1)


def ensure_tools(c_http, c_curl, install):
    missing = []
    if not os.access(c_http, os.X_OK):
        missing.append("monitoring-plugins-basic")
    if not os.access(c_curl, os.X_OK):
        missing.append("monitoring-plugins-standard")
    missing += missing_libraries(c_curl)
    if not shutil.which("hyperfine"):
        missing.append("hyperfine")
    if not os.access("/usr/bin/time", os.X_OK):
        missing.append("time")
    if not shutil.which("openssl"):
        missing.append("openssl")
    apt_install(missing, install, die)
    for path in (c_http, c_curl):
        if not os.access(path, os.X_OK):
            die(f"{path} is still missing after the install")


# ---------------------------------------------------------------------------------------------
# The servers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SERVER_BOUND_S + 5   # an idle keep-alive connection is dropped after this

    def log_message(self, *_args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(HEALTH_BODY)))
            self.end_headers()
            self.wfile.write(HEALTH_BODY)
        elif path == "/endless" and not self.server.tls:
            self.endless()
        elif path == "/hang" and not self.server.tls:
            self.hang()
        else:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def endless(self):
        """200 without Content-Length (the body ends when the connection closes): 64 KiB blocks
        until the client disconnects, the server stops, or SERVER_BOUND_S pass."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        until = time.monotonic() + SERVER_BOUND_S
        try:
            while time.monotonic() < until and not STOPPING.is_set():
                self.wfile.write(BLOCK)
        except OSError:
            pass   # the client went away: what it should do

    def hang(self):
        """Never answer: wait until the client disconnects, the server stops, or
        SERVER_BOUND_S pass (each request has its own thread: others are not held up)."""
        self.close_connection = True
        until = time.monotonic() + SERVER_BOUND_S
        conn = self.connection
        while not STOPPING.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            try:
                readable, _, _ = select.select([conn], [], [], min(left, 0.25))
                if readable and not conn.recv(1, socket.MSG_PEEK):
                    return   # EOF: the client gave up
            except OSError:
                return


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, tls_context=None, nodelay=True):
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls = tls_context is not None
        self.nodelay = nodelay
        if self.tls:
            # The handshake happens in the request's thread (on its first read), not in the
            # accepting one: a slow handshake does not hold up other connections.
            self.socket = tls_context.wrap_socket(self.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=f"server-{self.port}", daemon=True)

    def get_request(self):
        # Real servers (nginx, Tomcat, Go, Node) set TCP_NODELAY; Python's do not, and then the
        # body (its own send after the headers') waits for the client's ACK of the headers.
        conn, address = super().get_request()
        if self.nodelay:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address

    def handle_error(self, request, client_address):
        # Clients that hang up mid-answer or fail the handshake (no verification, wrong CA)
        # are expected here: keep the output clean.
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (OSError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def make_certificate(directory, name, extra=()):
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    *extra, "-keyout", key, "-out", cert],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return cert, key


def start_servers(certificates):
    """A plain HTTP server, then one HTTPS server per (cert, key, nodelay)."""
    servers = [Server()]
    for cert, key, nodelay in certificates:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        servers.append(Server(context, nodelay))
    for server in servers:
        server.thread.start()
    return servers


def stop_servers(servers):
    STOPPING.set()
    for server in servers:
        server.shutdown()
        server.server_close()
        server.thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# Measuring


def first_line_of(stdout, stderr):
    lines = (stdout or stderr or "").strip().splitlines()
    first = lines[0] if lines else "(no output)"
    return first if len(first) <= 100 else first[:97] + "..."


def try_once(label, argv):
    """Run a command once; print its exit code and first output line."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=60)
    first = first_line_of(done.stdout, done.stderr)
    print(f"  {label:<34} exit {done.returncode}: {first}")
    return done.returncode, first


def hostile_run(argv):
    """One run under GNU time, timed here: (wall ms, peak RSS KiB, exit code, first line)."""
    started = time.monotonic()
    try:
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace",
                              timeout=SERVER_BOUND_S + 30)
    except subprocess.TimeoutExpired:
        return (time.monotonic() - started) * 1000, None, None, "(killed: no end after 90 s)"
    wall_ms = (time.monotonic() - started) * 1000
    err_lines = done.stderr.strip().splitlines()
    try:
        rss = int(err_lines[-1])
        err_lines = err_lines[:-1]
    except (IndexError, ValueError):
        rss = None
    # GNU time exits with the command's code (or 128+N when a signal killed it).
    return wall_ms, rss, done.returncode, first_line_of(done.stdout, "\n".join(err_lines))


def hostile(argv, times):
    """The worst of `times` runs: the slowest wall time (its first line), the largest RSS, and
    every distinct exit code."""
    results = [hostile_run(argv) for _ in range(times)]
    worst = max(results, key=lambda r: r[0])
    rss_values = [r[1] for r in results if r[1] is not None]
    codes = sorted({r[2] for r in results}, key=lambda c: (c is None, c))
    return {
        "wall": worst[0],
        "rss": max(rss_values) if rss_values else None,
        "exit": ",".join("?" if c is None else str(c) for c in codes),
        "first": worst[3],
        "walls": [r[0] for r in results],
    }






def size_note(path):
    return f"{stripped_size(path) / 1024:.0f} KiB stripped ({os.path.getsize(path) / 1024:.0f} KiB on disk)"


def run(ours, c_http, c_curl, cert_dir):
    runs = int(os.environ.get("BENCH_RUNS", "30"))
    warmup = int(os.environ.get("BENCH_WARMUP", "3"))
    hostile_times = int(os.environ.get("BENCH_HOSTILE_RUNS", "3"))

    # OpenSSL's `req -x509` marks a self-signed certificate CA:TRUE unless told otherwise, and
    # webpki (rustls) refuses a CA certificate as the server's own (CaUsedAsEndEntity): the
    # timed HTTPS server has a CA:FALSE one, the other is only tried once, for the record.
    leaf = make_certificate(cert_dir, "leaf", ["-addext", "basicConstraints=critical,CA:FALSE"])
    ca_style = make_certificate(cert_dir, "ca-style")
    servers = start_servers([(*leaf, True), (*leaf, False), (*ca_style, True)])
    try:
        measure(ours, c_http, c_curl, leaf[0], ca_style[0], servers, runs, warmup, hostile_times)
    finally:
        # A second Ctrl-C or a SIGTERM must not interrupt the shutdown half-way.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        print("\nstopping the servers ...", file=sys.stderr, flush=True)
        stop_servers(servers)


def measure(ours, c_http, c_curl, cert, ca_cert, servers, runs, warmup, hostile_times):
    port, tls_port, nagle_port, ca_port = (server.port for server in servers)
    print(f"\n# check_http_health vs check_http and check_curl, "
          f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {os.cpu_count()} CPUs (nproc {first_line(['nproc'])}), kernel {os.uname().release}, "
          f"Python {sys.version.split()[0]}, {first_line(['openssl', 'version'])}")
    print(f"ours: {ours} ({first_line([ours, '--version'])}), {size_note(ours)}")
    print(f"check_http: {c_http} ({first_line([c_http, '-V'])}), {size_note(c_http)}")
    print(f"check_curl: {c_curl} ({first_line([c_curl, '-V'])}), {size_note(c_curl)}")
    print(f"{first_line(['hyperfine', '--version'])}; median of {runs} runs, warmup {warmup}; "
          f"servers (TCP_NODELAY unless said): http://127.0.0.1:{port}, https://localhost:{tls_port} "
          f"(self-signed, CA:FALSE), https://localhost:{nagle_port} (the same without TCP_NODELAY), "
          f"https://localhost:{ca_port} (self-signed, CA:TRUE: openssl req -x509's default)")

    health = f"http://127.0.0.1:{port}/health"
    http_args = ["-I", "127.0.0.1", "-p", str(port), "-u", "/health"]
    tls_args = ["-H", "localhost", "-I", "127.0.0.1", "-p", str(tls_port), "-S"]
    nagle_args = ["-H", "localhost", "-I", "127.0.0.1", "-p", str(nagle_port), "-S"]
    # (case, [(plugin, verifies TLS, argv)])
    cases = [
        ("HTTP /health", [
            ("ours", "", [ours, health]),
            ("check_http", "", [c_http, *http_args]),
            ("check_curl", "", [c_curl, *http_args]),
        ]),
        ("HTTP /health -s UP", [
            ("ours", "", [ours, health, "-s", "UP"]),
            ("check_http", "", [c_http, *http_args, "-s", "UP"]),
            ("check_curl", "", [c_curl, *http_args, "-s", "UP"]),
        ]),
        ("HTTPS /health", [
            ("ours", "yes", [ours, f"https://localhost:{tls_port}/health", "--ca-file", cert]),
            ("check_http", "no (can't)", [c_http, *tls_args, "-u", "/health"]),
            ("check_curl", "yes", [c_curl, *tls_args, "-D", "--ca-cert", cert, "-u", "/health"]),
        ]),
        ("HTTPS /health, server without TCP_NODELAY", [
            ("ours", "yes", [ours, f"https://localhost:{nagle_port}/health", "--ca-file", cert]),
            ("check_http", "no (can't)", [c_http, *nagle_args, "-u", "/health"]),
            ("check_curl", "yes", [c_curl, *nagle_args, "-D", "--ca-cert", cert, "-u", "/health"]),
        ]),
    ]
    t = ["-t", str(DEADLINE_S)]
    endless = f"http://127.0.0.1:{port}/endless"
    hang = f"http://127.0.0.1:{port}/hang"
    hostile_cases = [
        ("/endless -t 2", [
            ("ours", [ours, endless, *t]),
            ("check_http", [c_http, "-I", "127.0.0.1", "-p", str(port), "-u", "/endless", *t]),
            ("check_curl", [c_curl, "-I", "127.0.0.1", "-p", str(port), "-u", "/endless", *t]),
        ]),
        ("/endless -t 2 --max-body 1000MB", [
            ("ours", [ours, endless, *t, "--max-body", "1000MB"]),
        ]),
        ("/hang -t 2", [
            ("ours", [ours, hang, *t]),
            ("check_http", [c_http, "-I", "127.0.0.1", "-p", str(port), "-u", "/hang", *t]),
            ("check_curl", [c_curl, "-I", "127.0.0.1", "-p", str(port), "-u", "/hang", *t]),
        ]),
    ]

    ca_case = "HTTPS, CA:TRUE cert (once)"
    ca_commands = [
        ("ours", "yes", [ours, f"https://localhost:{ca_port}/health", "--ca-file", ca_cert]),
        ("check_curl", "yes", [c_curl, "-H", "localhost", "-I", "127.0.0.1", "-p", str(ca_port), "-S",
                               "-D", "--ca-cert", ca_cert, "-u", "/health"]),
    ]

    print("\none run of each (exit code, first line):")
    once = {}
    for case, commands in cases:
        for plugin, _, argv in commands:
            rc, first = try_once(f"{plugin}: {case}", argv)
            if plugin == "ours" and (rc == 3 or rc < 0):
                die(f"ours exited {rc} for '{case}': {shlex.join(argv)}")
            once[case, plugin] = (rc, first)
    ca_rows = []
    for plugin, verifies, argv in ca_commands:
        rc, first = try_once(f"{plugin}: {ca_case}", argv)
        ca_rows.append((ca_case, plugin, verifies, "", "", "", "", str(rc), first))

    rows = []   # (case, plugin, verifies, ms, ratio, overshoot, rss, exit, first)
    true_ms, = median_ms([["/bin/true"]], runs, warmup)
    rows.append(("floor", "/bin/true", "", f"{true_ms:.2f}", "", "", str(peak_rss_kib(["/bin/true"])),
                 "0", ""))
    summary = {}
    for case, commands in cases:
        print(f"measuring: {case} ...", flush=True)
        medians = median_ms([argv for _, _, argv in commands], runs, warmup)
        ours_ms = medians[0]
        for (plugin, verifies, argv), ms in zip(commands, medians):
            ratio = "" if plugin == "ours" else f"{ms / ours_ms:.2f}x"
            summary[case, plugin] = ms / ours_ms
            rc, first = once[case, plugin]
            rows.append((case, plugin, verifies, f"{ms:.2f}", ratio, "", str(peak_rss_kib(argv)),
                         str(rc), first))

    rows.extend(ca_rows)

    hostile_results = {}
    for case, commands in hostile_cases:
        for plugin, argv in commands:
            print(f"hostile: {plugin} {case}, {hostile_times} runs ...", flush=True)
            result = hostile(argv, hostile_times)
            hostile_results[case, plugin] = result
            print(f"  walls {', '.join(f'{w:.0f}' for w in result['walls'])} ms; "
                  f"exit {result['exit']}: {result['first']}")
            overshoot = result["wall"] - DEADLINE_S * 1000
            rows.append((case, plugin, "", f"{result['wall']:.0f}", "", f"{overshoot:+.0f}",
                         "?" if result["rss"] is None else str(result["rss"]), result["exit"],
                         result["first"]))

    print("\n| case | plugin | verifies TLS | ms | C / ours | overshoot ms | peak RSS KiB | exit | first line |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | :---: | --- |")
    for row in rows:
        cells = [cell.replace("|", "\\|") for cell in row]
        print("| " + " | ".join(cells) + " |")
    print(f"\nms: median of {runs} runs (hyperfine -N), or for the -t {DEADLINE_S} cases the worst wall "
          f"time of {hostile_times} runs (under GNU time, timed in Python); overshoot = that minus the "
          f"{DEADLINE_S} s deadline (negative: it ended before the deadline); RSS: one run's peak "
          f"(the worst of {hostile_times} for the -t cases); C / ours: the C plugin's median over ours "
          f"(above 1: ours is faster). check_http cannot verify certificates: its HTTPS row does not.")
    print(f"stripped sizes: ours {stripped_size(ours) / 1024:.0f} KiB, check_http "
          f"{stripped_size(c_http) / 1024:.0f} KiB, check_curl {stripped_size(c_curl) / 1024:.0f} KiB "
          f"(the C ones also load shared libraries)")

    print("\ngoals:")
    for case, _ in cases:
        http_ratio = summary[case, "check_http"]
        curl_ratio = summary[case, "check_curl"]
        print(f"  {case}: check_http/ours {http_ratio:.2f} (no worse: "
              f"{'met' if http_ratio >= 1.0 else 'NOT met'}), check_curl/ours {curl_ratio:.2f} "
              f"(2x: {'met' if curl_ratio >= 2.0 else 'NOT met'})")
    for case, _ in hostile_cases:
        result = hostile_results[case, "ours"]
        overshoot = result["wall"] - DEADLINE_S * 1000
        rss = result["rss"]
        print(f"  ours {case}: overshoot {overshoot:+.0f} ms (at most {OVERSHOOT_GOAL_MS}: "
              f"{'met' if overshoot <= OVERSHOOT_GOAL_MS else 'NOT met'}), peak RSS "
              f"{'?' if rss is None else f'{rss} KiB'} (under {RSS_GOAL_KIB} KiB: "
              f"{'met' if rss is not None and rss < RSS_GOAL_KIB else 'NOT met'})")


def on_sigterm(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so that the finally blocks stop the servers.
    raise SystemExit(128 + signum)


def main():
    parser = argparse.ArgumentParser(add_help=True)
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    c_http = os.environ.get("C_CHECK_HTTP", f"{PLUGINS}/check_http")
    c_curl = os.environ.get("C_CHECK_CURL", f"{PLUGINS}/check_curl")
    ensure_tools(c_http, c_curl, options.install)
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "check_http_health"], check=True)
    bin_dir = os.environ.get("TRIAGE_BIN_DIR", "target/release")
    ours = os.path.abspath(os.path.join(bin_dir, "check_http_health"))
    if not os.access(ours, os.X_OK):
        die(f"{ours} is missing: build with `cargo build --release --bin check_http_health`")
    # Local servers only: every plugin connects directly.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        os.environ.pop(name, None)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGHUP, on_sigterm)
    try:
        with tempfile.TemporaryDirectory(prefix="chh-bench-") as cert_dir:
            run(ours, c_http, c_curl, cert_dir)
    except KeyboardInterrupt:
        print("\ncheck_http_health.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
