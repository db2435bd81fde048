"""CLI start-up benchmark: how long a command takes before and while it runs.

    python bench/cli_startup.py             # 7 runs of each command, fresh data dir
    python bench/cli_startup.py --runs 15

For `skytally --help`, `skytally --version` and `skytally accounts list` (an empty, migrated
database), prints the wall time (min and median) and the CPU time (user+sys, median) of a
fresh process each, then the largest imports of `accounts list` from `python -X importtime`
(cumulative ms, top-level modules only). Targets (issue 17): --help < 0.5 s, accounts list
< 1 s. On a busy machine wall time includes waiting for a core: CPU time is the steadier
figure.

Bytecode: an installed skytally has its .pyc files; a shell with PYTHONDONTWRITEBYTECODE=1
(as the sessions here have) recompiles skytally's own modules at every start (~0.1 s of
`accounts list`). The runs use a bytecode cache in a temporary directory
(PYTHONPYCACHEPREFIX), filled by a first run that is not counted; `--no-bytecode-cache`
measures without one.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = [["--help"], ["--version"], ["accounts", "list"], ["subscriptions", "list"]]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def top_imports(args: list[str], env: dict[str, str], n: int = 12) -> list[tuple[float, str]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "skytally.cli.main", *args], env=env,
                          capture_output=True, text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[len("import time:"):].split("|")
        if len(name) - len(name.lstrip()) == 1:  # top-level imports: one space after the bar
            rows.append((int(cumulative) / 1000, name.strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode-cache", action="store_true", help="Compile every module at every start.")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as pycache:
        env = {**os.environ, "SKYTALLY_DATA_DIR": data_dir, "COLUMNS": "100"}
        env.pop("SKYTALLY_DATABASE_URL", None)
        if opts.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pycache
        subprocess.run([sys.executable, "-m", "skytally.cli.main", "db", "upgrade"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        cache = "no bytecode cache" if opts.no_bytecode_cache else "bytecode cached"
        print(f"{'command':28} {'wall min':>9} {'wall med':>9} {'cpu med':>9}   "
              f"({opts.runs} runs, {cache}, load {os.getloadavg()[0]:.1f})")
        for args in COMMANDS:
            timed(args, env)  # not counted: fills the bytecode cache
            runs = [timed(args, env) for _ in range(opts.runs)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"{'skytally ' + ' '.join(args):28} {min(walls):8.3f}s {statistics.median(walls):8.3f}s "
                  f"{statistics.median(cpus):8.3f}s")
        print("\nlargest imports of `skytally accounts list` (cumulative ms, top level):")
        for ms, name in top_imports(["accounts", "list"], env):
            print(f"  {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
