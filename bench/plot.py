#!/usr/bin/python3
"""bench/plot.py: req/s per row of a bench/run, as a PNG.

    bench/plot.py [IN.json [OUT.png]]

IN is bench/out/latest.json unless given; OUT is IN with .png for .json.
One horizontal bar per row and connection count: its req/s on the
tenant of the first table and, after a --scale run, on the large tenant
beside it; a tick marks each row's combined limit (1 / (1/healthz +
1/pgbench's best)) where it has one.  The rate axis is logarithmic (rows
run from a few to tens of thousands of requests a second).  Needs
matplotlib (Debian's python3-matplotlib; scripts/deps --bench).
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "out", "latest.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.splitext(src)[0] + ".png"
    with open(src) as f:
        doc = json.load(f)
    base = [r for r in doc["rows"] if r.get("rps")]
    scale = doc.get("scale") or {}
    large = {(r["name"], r["connections"]): r for r in scale.get("rows", []) if r.get("rps")}
    m = doc.get("machine", {})
    n_base = m.get("users") or scale.get("base_tenant_users")
    n_large = scale.get("large_tenant_users")

    labels = [f"{r['name']} @{r['connections']}" for r in base]
    height = 0.38 if large else 0.7
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.32 * len(base) * (1.6 if large else 1)))
    ys = list(range(len(base)))
    off = height / 2 if large else 0
    ax.barh([y - off for y in ys], [r["rps"] for r in base], height=height,
            color="#4878a8", label=f"{n_base:,} users" if n_base else "req/s")
    if large:
        ax.barh([y + off for y in ys],
                [large.get((r["name"], r["connections"]), {}).get("rps", 0) for r in base],
                height=height, color="#e08040",
                label=f"{n_large:,} users, {scale.get('users_total', 0):,} in the database")
    lim = [(y - off, r["combined_limit_rps"]) for y, r in zip(ys, base)
           if r.get("combined_limit_rps")]
    if lim:
        ax.scatter([v for _, v in lim], [y for y, _ in lim], marker="|", s=160,
                   color="black", zorder=3, label="combined limit")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("requests per second (log scale)")
    ax.grid(axis="x", which="both", alpha=0.3)
    title = f"bench/run, {doc.get('date', '')}"
    if m:
        title += f": {m.get('cores', '?')} cores, {m.get('rosterd_workers', '?')} workers"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
