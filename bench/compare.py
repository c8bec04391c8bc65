"""Compare benchmark results side by side, e.g. one instance of routing and notify against two.

    python -m bench.compare bench/results/e2e-A.json bench/results/e2e-B.json

Prints, per file, the options that differ in meaning (scope, instances, load) and the
figures that matter, then the throughput of each run over the first one's.
"""
import json
import sys
from pathlib import Path


def summary(results):
    run, e2e = results["run"], results["e2e"]
    steady = e2e.get("steady") or {}
    full = e2e["latency_ms"]["full_path"]
    return {
        "setup": ("core" if run["core"] else "full")
                 + "".join(f" {k}×{v}" for k, v in run["instances"].items())
                 + (f" open {run['rate']}/s" if run["rate"] else " closed")
                 + f" c{run['concurrency']}",
        "commit": (results["git"]["commit"] or "?")[:8] + ("+" if results["git"]["dirty"] else ""),
        "accepted/s": steady.get("accepted_per_s", e2e["accepted_per_s"]),
        "e2e/s": results["ratios"]["e2e_dossiers_per_s"],
        "p99 ms": full["p99"],
        "lost": e2e["lost"],
        "dup": e2e["duplicated"],
        "/bare": results["ratios"]["e2e_over_bare_pipeline"],
        "busy %": e2e["cpu"]["machine_busy_percent"],
    }


def main(argv=None):
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        sys.exit(__doc__)
    rows = [(path.name, summary(json.loads(path.read_text(encoding="utf-8")))) for path in paths]
    columns = ["file", *rows[0][1], "vs first"]
    base = rows[0][1]["e2e/s"]
    table = [{"file": name, **{k: str(v) for k, v in row.items()},
              "vs first": f"{row['e2e/s'] / base:.2f}×" if base and row["e2e/s"] else "-"}
             for name, row in rows]
    widths = {c: max(len(c), *(len(line[c]) for line in table)) for c in columns}
    print("  ".join(f"{c:>{widths[c]}}" for c in columns))
    for line in table:
        print("  ".join(f"{line[c]:>{widths[c]}}" for c in columns))

if __name__ == "__main__":
    main()
