"""What every Triage benchmark script shares: hyperfine medians and peak RSS."""

import json
import os
import shlex
import shutil
import subprocess
import tempfile


def median_ms(commands, runs, warmup, prepare=None):
    """Median wall time of each command (a list of argv lists), in ms, via hyperfine;
    `prepare` (argv) runs before every timed run."""
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        quoted = [shlex.join(argv) for argv in commands]
        extra = ["--prepare", shlex.join(prepare)] if prepare else []
        subprocess.run(
            ["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
             *extra, "--export-json", export.name, *quoted],
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


def stripped_size(path):
    """The size `path` would have stripped (release builds already are)."""
    if not shutil.which("strip"):
        return os.path.getsize(path)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "stripped")
        subprocess.run(["strip", "-o", out, path], check=True)
        return os.path.getsize(out)


# Debian's monitoring-plugins-standard only recommends the libraries check_curl links to, so
# an install without recommends leaves it unable to start.
CHECK_CURL_LIBRARIES = {"liburiparser.so.1": "liburiparser1", "libcurl.so.4": "libcurl4"}


def missing_libraries(path):
    """The Debian packages of the shared libraries `ldd` cannot find for `path`."""
    if not os.access(path, os.X_OK) or not shutil.which("ldd"):
        return []
    done = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    absent = [line.split()[0] for line in done.stdout.splitlines() if "not found" in line]
    return [CHECK_CURL_LIBRARIES.get(lib, lib) for lib in absent]


def first_line(argv):
    """The first line a command prints (stdout, else stderr), or '?'."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, errors="replace")
        return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.SubprocessError):
        return "?"


def apt_install(missing, install, die):
    """Installs the Debian packages in `missing` when `install`, else stops naming them."""
    if not missing:
        return
    if not install:
        die(f"missing: {' '.join(missing)} (apt-get install {' '.join(missing)}, or pass --install)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
