#!/usr/bin/env python3
"""Benchmark `remediate check`: one pass over many healthy heartbeat services, and how big the
database gets over many passes with retention on.

Usage: bench/remediate.py [--install] [--no-build] [--passes 10000] [--compare-command]

  --install    apt-get install what is missing (hyperfine, time)
  --no-build   do not run `cargo build --release --bin remediate --bin heartbeat` first
  --passes     passes over 10 services for the database-size case (default 10000)
  --compare-command  also time 1,000 `command = ["/bin/true"]` services (always done when the
               1,000-heartbeat pass misses its goal)

Environment: TRIAGE_BIN_DIR (default target/release), BENCH_RUNS (default 10), BENCH_WARMUP
(default 2), BENCH_DB_BUDGET_S (default 300: when --passes would take longer, judging by the
median 10-service pass, 2,000 passes are run and the sizes extrapolated linearly, and the
output says so).

Everything lives in a private temporary directory (mode 0700, files 0644, so remediate accepts
the configuration as root), removed at the end, also on errors. Every heartbeat vouches for one
shared `sleep` child, written by our own `heartbeat beat` (PID, start ticks, boot id) and copied
under 1,000 process keys; timestamps are rewritten before every timed batch. Each configuration
is run once first and must print one line per service and exit 0. Then hyperfine -N measures a
pass over 10, 100 and 1,000 services, GNU time the peak RSS of the 1,000-service pass. The
database case runs N passes over 10 services with retention = "1h" (nothing is old enough to
prune), then sets retention = "1s", waits 2 s and runs one more pass: the rows go, the file
keeps its pages (SQLite reuses free pages; only VACUUM shrinks a file). If the 1,000-service
pass misses its goal (or with --compare-command), the same pass with `command = ["/bin/true"]` checks is timed too, for
comparison. One Markdown table is printed at the end.
"""

import argparse
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from benchlib import apt_install, first_line, median_ms, peak_rss_kib

GOAL_MS = 200.0
SERVICE_COUNTS = [10, 100, 1000]
DB_SERVICES = 10
FALLBACK_PASSES = 2000


def die(message):
    print(f"remediate.py: {message}", file=sys.stderr)
    sys.exit(1)


def ensure_tools(install):
    missing = []
    if not shutil.which("hyperfine"):
        missing.append("hyperfine")
    if not os.access("/usr/bin/time", os.X_OK):
        missing.append("time")
    apt_install(missing, install, die)


def write_file(path, text):
    """Atomically, mode 0644 whatever the umask (remediate refuses writable configs as root)."""
    partial = path + ".partial"
    with open(partial, "w") as out:
        out.write(text)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


class Bench:
    """The temporary directory: heartbeat files, configurations and databases."""

    def __init__(self, tmp, heartbeat_bin, pid):
        self.tmp = tmp
        self.hb_dir = os.path.join(tmp, "hb")
        os.mkdir(self.hb_dir, 0o755)
        template = os.path.join(tmp, "template.json")
        subprocess.run([heartbeat_bin, "beat", "--file", template, "--pid", str(pid)], check=True)
        with open(template) as written:
            self.template = json.load(written)
        self.count = 0

    @staticmethod
    def name(index):
        return f"svc{index:04d}"

    def heartbeat_path(self, index):
        return os.path.join(self.hb_dir, f"{self.name(index)}.json")

    def refresh(self, count):
        """Writes (or rewrites, with the time now) the first `count` heartbeat files."""
        stamp = now_rfc3339()
        for index in range(count):
            document = dict(self.template, process_key=self.name(index), timestamp=stamp)
            write_file(self.heartbeat_path(index), json.dumps(document))

    def config(self, label, count, retention=None, check="heartbeat"):
        """Writes `<label>.toml` with `count` services and its own database; returns the paths."""
        db_path = os.path.join(self.tmp, f"{label}.db")
        lines = [f'db_path = "{db_path}"']
        if retention:
            lines.append(f'retention = "{retention}"')
        for index in range(count):
            if check == "heartbeat":
                probe = f'{{ heartbeat = "{self.heartbeat_path(index)}", max_age = "1h" }}'
            else:
                probe = '{ command = ["/bin/true"] }'
            lines += ["", f"[services.{self.name(index)}]", f"check = {probe}",
                      'commands = { start = "true" }', 'recovery = ["start"]']
        path = os.path.join(self.tmp, f"{label}.toml")
        write_file(path, "\n".join(lines) + "\n")
        return path, db_path


def run_pass(remediate, config, count):
    """One `check` pass that must print `count` lines and exit 0; returns its wall ms."""
    started = time.monotonic()
    done = subprocess.run([remediate, "-c", config, "check"], capture_output=True, text=True,
                          errors="replace")
    elapsed = (time.monotonic() - started) * 1000
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != count:
        die(f"`remediate -c {config} check` exited {done.returncode} with {len(lines)} lines "
            f"(wanted 0 and {count}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed, lines


def db_stats(db_path):
    """(bytes of .db plus -wal, rows in checks, page_count, freelist_count, page_size)."""
    size = sum(os.path.getsize(p) for p in (db_path, db_path + "-wal") if os.path.exists(p))
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT count(*) FROM checks").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return size, rows, pages, free, page_size


def vacuumed_kib(db_path, tmp):
    """The size the database would have after VACUUM (done on a copy, VACUUM INTO)."""
    copy = os.path.join(tmp, "vacuumed.db")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.execute("VACUUM INTO ?", (copy,))
    finally:
        conn.close()
    size = os.path.getsize(copy)
    os.remove(copy)
    return size / 1024


def main():
    parser = argparse.ArgumentParser(add_help=True)
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--passes", type=int, default=10000)
    parser.add_argument("--compare-command", action="store_true")
    options = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    ensure_tools(options.install)
    if not options.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "remediate", "--bin", "heartbeat"],
                       check=True)
    bin_dir = os.environ.get("TRIAGE_BIN_DIR", "target/release")
    remediate = os.path.abspath(os.path.join(bin_dir, "remediate"))
    heartbeat = os.path.abspath(os.path.join(bin_dir, "heartbeat"))
    for binary in (remediate, heartbeat):
        if not os.access(binary, os.X_OK):
            die(f"{binary} is missing: build with "
                "`cargo build --release --bin remediate --bin heartbeat`")
    runs = int(os.environ.get("BENCH_RUNS", "10"))
    warmup = int(os.environ.get("BENCH_WARMUP", "2"))
    budget_s = float(os.environ.get("BENCH_DB_BUDGET_S", "300"))

    print(f"# remediate check, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {os.cpu_count()} CPUs (nproc {first_line(['nproc'])}), "
          f"kernel {os.uname().release}, {'root' if os.geteuid() == 0 else 'not root'}")
    print(f"remediate: {remediate} ({first_line([remediate, '--version'])}), "
          f"{os.path.getsize(remediate) / 1024:.0f} KiB on disk")
    print(f"{first_line(['hyperfine', '--version'])}; median of {runs} runs, warmup {warmup}; "
          f"SQLite (Python's) {sqlite3.sqlite_version}")

    sleeper = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="remediate-bench-")  # 0700
    rows = []  # (case, services, passes, time text, rss, db KiB, check rows)
    notes = []
    try:
        bench = Bench(tmp, heartbeat, sleeper.pid)
        print(f"temp dir: {tmp}; heartbeats vouch for pid {sleeper.pid} (sleep 600)")

        # 1. One pass over 10, 100 and 1,000 healthy heartbeat services.
        bench.refresh(max(SERVICE_COUNTS))
        pass_ms = {}
        rss = None
        for count in SERVICE_COUNTS:
            config, db_path = bench.config(f"pass{count}", count)
            _, lines = run_pass(remediate, config, count)  # creates the database too
            print(f"{count} services, first line: {lines[0]}")
            bench.refresh(count)
            print(f"measuring: one pass over {count} services ...", flush=True)
            ms, = median_ms([[remediate, "-c", config, "check"]], runs, warmup)
            pass_ms[count] = ms
            if count == max(SERVICE_COUNTS):
                rss = peak_rss_kib([remediate, "-c", config, "check"])
            size, check_rows, _, _, _ = db_stats(db_path)
            rows.append(("check pass, healthy heartbeats", count, 1, f"{ms:.1f} ms",
                         rss if count == max(SERVICE_COUNTS) else None, size / 1024, check_rows))

        big = max(SERVICE_COUNTS)
        if pass_ms[big] >= GOAL_MS or options.compare_command:
            config, _ = bench.config("command", big, check="command")
            run_pass(remediate, config, big)
            print(f"measuring: one pass over {big} `command = [\"/bin/true\"]` services ...",
                  flush=True)
            cmd_runs = max(3, runs // 2)
            ms, = median_ms([[remediate, "-c", config, "check"]], cmd_runs, 1)
            rows.append((f"check pass, command /bin/true (median of {cmd_runs})", big, 1,
                         f"{ms:.1f} ms", peak_rss_kib([remediate, "-c", config, "check"]),
                         None, None))

        # 2. The database over many passes over 10 services, retention on.
        bench.refresh(DB_SERVICES)
        config, db_path = bench.config("retention", DB_SERVICES, retention="1h")
        run_pass(remediate, config, DB_SERVICES)
        base_size, base_rows, _, _, _ = db_stats(db_path)
        wanted = options.passes
        estimate_s = wanted * pass_ms[DB_SERVICES] / 1000
        passes = wanted
        if estimate_s > budget_s and wanted > FALLBACK_PASSES:
            passes = FALLBACK_PASSES
            notes.append(f"{wanted} passes would take ~{estimate_s:.0f} s (> {budget_s:.0f} s): "
                         f"ran {passes} and extrapolated linearly")
        print(f"running {passes} passes over {DB_SERVICES} services "
              f"(~{passes * pass_ms[DB_SERVICES] / 1000:.0f} s) ...", flush=True)
        argv = [remediate, "-c", config, "check"]
        started = time.monotonic()
        for done_passes in range(1, passes):  # the first pass above counts
            result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
            if result.returncode != 0:
                die(f"pass {done_passes + 1} exited {result.returncode}: {result.stderr[-2000:]}")
            if done_passes % 1000 == 0:
                print(f"  {done_passes} passes", flush=True)
        total_s = time.monotonic() - started
        print(f"  {passes - 1} passes in {total_s:.1f} s: {total_s * 1000 / max(1, passes - 1):.2f} ms "
              f"a pass with Python's spawn (median in hyperfine: {pass_ms[DB_SERVICES]:.2f} ms)")
        size, check_rows, pages, free, page_size = db_stats(db_path)
        per_row = (size - base_size) / max(1, check_rows - base_rows)
        print(f"after {passes} passes: {size / 1024:.0f} KiB (.db + -wal), {check_rows} check rows, "
              f"{pages} pages of {page_size} B, {free} free; "
              f"{per_row:.1f} B per check row (growth over the first pass)")
        rows.append(('passes, retention = "1h"', DB_SERVICES, passes, f"{total_s:.1f} s total",
                     None, size / 1024, check_rows))
        if passes != wanted:
            scale = wanted / passes
            rows.append((f'passes, retention = "1h" (extrapolated ×{scale:g})', DB_SERVICES,
                         wanted, f"~{total_s * scale:.0f} s total", None,
                         (base_size + (size - base_size) * scale) / 1024,
                         round(check_rows * scale)))

        # Pruning: everything older than 1 s goes on the next pass.
        write_file(config, open(config).read().replace('retention = "1h"', 'retention = "1s"'))
        time.sleep(2)
        bench.refresh(DB_SERVICES)
        pruned_ms, _ = run_pass(remediate, config, DB_SERVICES)
        size_after, rows_after, pages_after, free_after, _ = db_stats(db_path)
        print(f'after one pass with retention = "1s": {size_after / 1024:.0f} KiB, '
              f"{rows_after} check rows, {pages_after} pages, {free_after} free "
              f"(VACUUM would make it {vacuumed_kib(db_path, tmp):.0f} KiB)")
        rows.append(('+1 pass, retention = "1s" after 2 s', DB_SERVICES, 1,
                     f"{pruned_ms:.1f} ms (one run)", None, size_after / 1024, rows_after))
    finally:
        sleeper.kill()
        sleeper.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("\n## goals")
    big_ms = pass_ms[max(SERVICE_COUNTS)]
    print(f"- one pass over {max(SERVICE_COUNTS)} healthy services under {GOAL_MS:.0f} ms: "
          f"{big_ms:.1f} ms, {'met' if big_ms < GOAL_MS else 'NOT met'}")
    bounded = rows_after <= DB_SERVICES
    print(f"- pruning keeps the check rows bounded: {rows_after} rows after pruning "
          f"(at most {DB_SERVICES} wanted), {'met' if bounded else 'NOT met'}")
    for note in notes:
        print(f"- note: {note}")

    print("\n| case | services | passes | median ms (or total s) | RSS KiB | db KiB | rows |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case, services, passes_, timing, rss_kib, db_kib, check_rows in rows:
        rss_text = "" if rss_kib is None else str(rss_kib)
        db_text = "" if db_kib is None else f"{db_kib:.0f}"
        rows_text = "" if check_rows is None else str(check_rows)
        print(f"| {case} | {services} | {passes_} | {timing} | {rss_text} | {db_text} | {rows_text} |")
    print("\nrows: check rows in that case's database when measured (a pass case keeps its "
          "check, warmup and timed runs); db KiB: .db plus -wal")


if __name__ == "__main__":
    main()
