#!/usr/bin/env bash
# The README's first command: supervise a real process with `heartbeat run`, check it
# (OK), kill the process hard, check again (CRITICAL), then watch remediate heal it and
# show its history. Exits non-zero if any step does not say what it should.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TRIAGE_BIN_DIR:-target/release}
for tool in heartbeat check_heartbeat remediate; do
  [ -x "$bin/$tool" ] || { echo "demo: $bin/$tool is missing; run: cargo build --release" >&2; exit 1; }
done

dir=$(mktemp -d)
runner=
cleanup() {
  [ -n "$runner" ] && kill "$runner" 2>/dev/null
  # The service remediate started: its PID is in the heartbeat; its writer exits with it.
  healed=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$dir/demo.json" 2>/dev/null || true)
  if [ -n "$healed" ]; then
    writer=$(ps -o ppid= -p "$healed" 2>/dev/null | tr -d ' ' || true)
    kill "$healed" 2>/dev/null || true
    # Its writer records the stop in the heartbeat, then exits: let it, then clean up.
    for _ in $(seq 50); do
      { [ -n "$writer" ] && kill -0 "$writer" 2>/dev/null; } || break
      sleep 0.05
    done
  fi
  rm -rf "$dir" 2>/dev/null || { sleep 0.2; rm -rf "$dir"; }
}
trap cleanup EXIT
hb="$dir/demo.json"

echo "\$ heartbeat run --file $hb --interval 1s -- sleep 30 &"
"$bin/heartbeat" run --file "$hb" --interval 1s -- sleep 30 &
runner=$!
for _ in $(seq 100); do [ -s "$hb" ] && break; sleep 0.05; done

check() {
  echo "\$ check_heartbeat --file $hb"
  set +e
  "$bin/check_heartbeat" --file "$hb"
  code=$?
  set -e
  echo "(exit $code)"
}

check
[ "$code" -eq 0 ] || { echo "demo: expected OK (0) while sleep runs" >&2; exit 1; }

pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$hb")
echo
echo "\$ kill -9 $pid    # the supervised process dies"
kill -9 "$pid"
wait "$runner" || true
runner=
check
[ "$code" -eq 2 ] || { echo "demo: expected CRITICAL (2) after the kill" >&2; exit 1; }

echo
echo "# remediate heals it: the same service, with its start command in a config"
abs_bin=$(cd "$bin" && pwd)
cat >"$dir/remediate.toml" <<EOF
db_path = "$dir/state/remediate.db"

[services.demo]
check = { heartbeat = "$hb", max_age = "5s" }
commands = { start = "exec $abs_bin/heartbeat run --file $hb --interval 1s -- sleep 30" }
recovery = ["kill", "start"]
consecutive_failures = 1
start_grace = "2s"
EOF
echo "\$ remediate -c remediate.toml check"
"$bin/remediate" -c "$dir/remediate.toml" check || true
for _ in $(seq 100); do grep -q '"status":"running"' "$hb" 2>/dev/null && break; sleep 0.05; done
check
[ "$code" -eq 0 ] || { echo "demo: expected OK (0) after remediate started it again" >&2; exit 1; }
echo
echo "\$ remediate -c remediate.toml history"
"$bin/remediate" -c "$dir/remediate.toml" history
