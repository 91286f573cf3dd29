"""`make bench`: run every benchmark in turn and collect their JSON lines.

Each bench/bench_*.py is standalone (see its docstring for options and the
targets it checks); this runner calls them with their defaults, shows their
tables, and writes every JSON result line to bench/out/results.jsonl.
Run on a quiet machine: the figures are wall-clock times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["bench_sheet.py", "bench_files.py", "bench_registry.py", "bench_minio.py", "bench_api.py"]


def main() -> int:
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    results = out_dir / "results.jsonl"
    scripts = [HERE / n for n in ORDER if (HERE / n).exists()]
    scripts += sorted(p for p in HERE.glob("bench_*.py") if p.name not in ORDER)
    failed = []
    with open(results, "w") as sink:
        for script in scripts:
            print(f"\n== {script.name} ==", flush=True)
            start = time.monotonic()
            proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                                    cwd=HERE.parent)
            for line in proc.stdout:
                if line.startswith("{"):
                    try:
                        json.loads(line)
                        sink.write(line)
                        continue
                    except ValueError:
                        pass
                print(line, end="", flush=True)
            if proc.wait() != 0:
                failed.append(script.name)
            print(f"({script.name}: {time.monotonic() - start:.0f} s)")
    print(f"\nJSON results: {results}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
