#!/usr/bin/env bash
# Benchmark check_heartbeat against /bin/true and the Perl check_file_age.
#
# Usage: bench/heartbeat.sh [--install] [--no-build] [--help]
#   --install   apt-get install whatever is missing (hyperfine, monitoring-plugins-basic, ...)
#   --no-build  do not run `cargo build --release` first
#
# Environment:
#   TRIAGE_BIN_DIR   where check_heartbeat and heartbeat are (default: target/release)
#   CHECK_FILE_AGE   the Perl plugin (default: /usr/lib/nagios/plugins/check_file_age)
#   BENCH_RUNS       runs per single-file command (default: 200)
#   BENCH_DIR_RUNS   runs of the 1,000-file --dir command (default: 50, or BENCH_RUNS if lower)
#   BENCH_WARMUP     warmup runs per command (default: 10)
#
# Prints an aligned table, then key=value lines for scripts.
set -euo pipefail

usage() { sed -n '2,15s/^# \{0,1\}//p' "$0"; }

install=0
build=1
for arg in "$@"; do
    case "$arg" in
        --install) install=1 ;;
        --no-build) build=0 ;;
        -h | --help) usage; exit 0 ;;
        *) printf 'heartbeat.sh: unknown argument: %s\n' "$arg" >&2; usage >&2; exit 2 ;;
    esac
done

die() { printf 'heartbeat.sh: %s\n' "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >&2; }

# Run from the repository root, wherever we were started.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -f Cargo.toml && -d plugins/check_heartbeat ]] || die "run this from the Triage repository (bench/heartbeat.sh)"

bin_dir=${TRIAGE_BIN_DIR:-target/release}
check_file_age=${CHECK_FILE_AGE:-/usr/lib/nagios/plugins/check_file_age}
runs=${BENCH_RUNS:-200}
dir_runs=${BENCH_DIR_RUNS:-$((runs < 50 ? runs : 50))}
warmup=${BENCH_WARMUP:-10}
dir_files=1000
for n in "$runs" "$dir_runs" "$warmup"; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "BENCH_RUNS, BENCH_DIR_RUNS and BENCH_WARMUP must be whole numbers"
done
((runs >= 2 && dir_runs >= 2)) || die "hyperfine needs at least 2 runs per command"

# --- tools ------------------------------------------------------------------
# command -> Debian package that provides it
declare -A pkg_for=(
    [hyperfine]=hyperfine
    [python3]=python3
    [check_file_age]=monitoring-plugins-basic
    [perl]=perl
)
missing_pkgs() {
    local pkgs=()
    command -v hyperfine >/dev/null || pkgs+=("${pkg_for[hyperfine]}")
    command -v python3 >/dev/null || pkgs+=("${pkg_for[python3]}")
    [[ -x "$check_file_age" ]] || pkgs+=("${pkg_for[check_file_age]}")
    # check_file_age needs File::stat, which is in perl (perl-base alone is not enough).
    perl -MFile::stat -e 1 2>/dev/null || pkgs+=("${pkg_for[perl]}")
    if ((${#pkgs[@]})); then printf '%s\n' "${pkgs[@]}"; fi
}

mapfile -t need < <(missing_pkgs)
if ((${#need[@]})); then
    if ((install)); then
        sudo=()
        if ((EUID != 0)); then
            command -v sudo >/dev/null || die "--install needs root or sudo to install: ${need[*]}"
            sudo=(sudo)
        fi
        note "installing: ${need[*]}"
        "${sudo[@]}" apt-get update
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
        mapfile -t need < <(missing_pkgs)
        ((${#need[@]} == 0)) || die "still missing after install: ${need[*]}"
    else
        die "missing tools; install the Debian packages: ${need[*]}
  (apt-get install ${need[*]}, or rerun with --install)"
    fi
fi

# --- build ------------------------------------------------------------------
if ((build)); then
    command -v cargo >/dev/null || die "cargo not found (or use --no-build with TRIAGE_BIN_DIR)"
    note "building: cargo build --release --bin check_heartbeat --bin heartbeat"
    cargo build --release --bin check_heartbeat --bin heartbeat
fi
check_heartbeat=$(realpath -e "$bin_dir/check_heartbeat" 2>/dev/null) ||
    die "$bin_dir/check_heartbeat not found (build it, or set TRIAGE_BIN_DIR)"
heartbeat_bin=$(realpath -e "$bin_dir/heartbeat" 2>/dev/null) ||
    die "$bin_dir/heartbeat not found (build it, or set TRIAGE_BIN_DIR)"

# --- scratch space ----------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/triage-bench.XXXXXX")
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Valid heartbeat files for a live process: this script ($$). pid_start_ticks and
# boot_id are filled in so check_heartbeat does its full PID-reuse check.
# Args: PID FILE... or PID --dir DIR COUNT
write_heartbeats() {
    python3 - "$@" <<'PY'
import datetime, json, os, sys

pid = int(sys.argv[1])
with open(f"/proc/{pid}/stat") as f:
    start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22
with open("/proc/sys/kernel/random/boot_id") as f:
    boot_id = f.read().strip()

if sys.argv[2] == "--dir":
    d, count = sys.argv[3], int(sys.argv[4])
    paths = [os.path.join(d, f"worker-{i:04d}.json") for i in range(count)]
else:
    paths = sys.argv[2:]
for i, path in enumerate(paths):
    doc = {
        "process_key": os.path.splitext(os.path.basename(path))[0],
        "pid": pid,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "status": "running",
        "iteration": i + 1,
        "pid_start_ticks": start_ticks,
        "boot_id": boot_id,
        "message": "bench",
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, path)
PY
}

# hyperfine -N splits command strings itself (shell-words rules): quote each word.
cmdline() {
    local out="" w
    for w in "$@"; do out+="${out:+ }$(printf '%q' "$w")"; done
    printf '%s' "$out"
}

# Run a command once; it must exit 0 (hyperfine would abort on a failure anyway).
preflight() {
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    ((rc == 0)) || die "expected exit 0 from: $* (got $rc):
$out"
    note "ok: ${out%%$'\n'*}"
}

# Medians in ms from a hyperfine JSON export, one per line, in command order.
medians_ms() {
    python3 - "$1" <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{statistics.median(r['times']) * 1000:.3f}")
PY
}

hf() { # hyperfine with our defaults; output to a log shown only on failure
    local log=$1; shift
    if ! hyperfine -N --style basic "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "hyperfine failed"
    fi
}

# --- single file ------------------------------------------------------------
hb_file=$tmp/single/app.json
mkdir -p "$tmp/single" "$tmp/dir"
write_heartbeats "$$" "$hb_file"

cmd_true=(/bin/true)
cmd_hb=("$check_heartbeat" -f "$hb_file")
cmd_fa=("$check_file_age" -w 60 -c 120 -f "$hb_file")
preflight "${cmd_hb[@]}"
preflight "${cmd_fa[@]}"

note "benchmarking /bin/true, check_heartbeat and check_file_age ($runs runs each)..."
hf "$tmp/single.log" --warmup "$warmup" --runs "$runs" --export-json "$tmp/single.json" \
    -n true -n check_heartbeat -n check_file_age \
    "$(cmdline "${cmd_true[@]}")" "$(cmdline "${cmd_hb[@]}")" "$(cmdline "${cmd_fa[@]}")"
mapfile -t m < <(medians_ms "$tmp/single.json")
true_ms=${m[0]} hb_ms=${m[1]} fa_ms=${m[2]}

# --- directory of 1,000 heartbeats ------------------------------------------
write_heartbeats "$$" --dir "$tmp/dir" "$dir_files"
cmd_dir=("$check_heartbeat" --dir "$tmp/dir")
preflight "${cmd_dir[@]}"
note "benchmarking check_heartbeat --dir over $dir_files files ($dir_runs runs)..."
hf "$tmp/dir.log" --warmup "$((warmup < 3 ? warmup : 3))" --runs "$dir_runs" \
    --export-json "$tmp/dir.json" -n "check_heartbeat --dir" "$(cmdline "${cmd_dir[@]}")"
mapfile -t m < <(medians_ms "$tmp/dir.json")
dir_ms=${m[0]}

# --- sizes ------------------------------------------------------------------
# The release profile strips; if a binary still has a symbol table, measure a stripped copy.
stripped_size() {
    local bin=$1 copy
    if command -v readelf >/dev/null && command -v strip >/dev/null &&
        readelf -S -W "$bin" 2>/dev/null | grep -q '\.symtab'; then
        copy=$tmp/$(basename "$bin").stripped
        strip -o "$copy" "$bin"
        stat -c %s "$copy"
    else
        stat -c %s "$bin"
    fi
}
size_hb=$(stripped_size "$check_heartbeat")
size_writer=$(stripped_size "$heartbeat_bin")

# --- report -----------------------------------------------------------------
python3 - "$true_ms" "$hb_ms" "$fa_ms" "$dir_ms" "$size_hb" "$size_writer" \
    "$runs" "$dir_runs" "$dir_files" "$bin_dir" "$(hyperfine --version | awk '{print $2}')" \
    "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
(t, hb, fa, d, size_hb, size_w, runs, dir_runs, files, bin_dir, hf_version,
 cpus, load) = sys.argv[1:]
t, hb, fa, d = map(float, (t, hb, fa, d))
net = lambda x: x - t
ratio = fa / hb
ratio_net = net(fa) / net(hb) if net(hb) > 0 else float("nan")
rows = [
    ("/bin/true", t, runs),
    ("check_heartbeat -f (1 file)", hb, runs),
    ("check_file_age -f (1 file)", fa, runs),
    (f"check_heartbeat --dir ({files} files)", d, dir_runs),
]
w = max(len(r[0]) for r in rows)
print(f"{'command':<{w}}  {'median ms':>10}  {'- true ms':>10}  {'runs':>5}")
for name, ms, n in rows:
    print(f"{name:<{w}}  {ms:>10.3f}  {net(ms):>10.3f}  {n:>5}")
print(f"check_file_age / check_heartbeat: {ratio:.1f}x (net of /bin/true: {ratio_net:.1f}x)")
print(f"{'binary (stripped)':<{w}}  {'bytes':>10}")
print(f"{'check_heartbeat':<{w}}  {int(size_hb):>10}")
print(f"{'heartbeat':<{w}}  {int(size_w):>10}")
print()
kv = {
    "true_median_ms": f"{t:.3f}",
    "check_heartbeat_median_ms": f"{hb:.3f}",
    "check_file_age_median_ms": f"{fa:.3f}",
    "check_heartbeat_over_true_ms": f"{net(hb):.3f}",
    "check_file_age_over_true_ms": f"{net(fa):.3f}",
    "ratio_file_age_over_heartbeat": f"{ratio:.2f}",
    "ratio_file_age_over_heartbeat_net": f"{ratio_net:.2f}",
    "dir_1000_median_ms": f"{d:.3f}",
    "dir_1000_over_true_ms": f"{net(d):.3f}",
    "dir_1000_per_file_us": f"{net(d) * 1000 / int(files):.2f}",
    "size_check_heartbeat_bytes": size_hb,
    "size_heartbeat_bytes": size_w,
    "runs_single": runs,
    "runs_dir": dir_runs,
    "bin_dir": bin_dir,
    "hyperfine_version": hf_version,
    "cpus": cpus,
    "loadavg_1m": load,
}
for k, v in kv.items():
    print(f"{k}={v}")
PY
