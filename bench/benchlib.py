"""What every Triage benchmark script shares: hyperfine medians and peak RSS."""

import json
import shlex
import subprocess
import tempfile


def median_ms(commands, runs, warmup):
    """Median wall time of each command (a list of argv lists), in ms, via hyperfine."""
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        quoted = [shlex.join(argv) for argv in commands]
        subprocess.run(
            ["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
             "--export-json", export.name, *quoted],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        with open(export.name) as exported:
            results = json.load(exported)["results"]
    return [r["median"] * 1000 for r in results]


def peak_rss_kib(argv):
    """GNU time's %M: a fork of this Python process would report Python's own RSS."""
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    return int(done.stderr.strip().splitlines()[-1])
