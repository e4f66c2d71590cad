#!/usr/bin/env python3
"""Compare racesim with the independent numpy reference (race_numpy.py) on one scenario.

Runs `racesim run SCENARIO --format json -n N` and the numpy reference with the same number of
trials (independent random streams), then prints, for every total metric of SPEC section 5:
both means, their difference in units of the combined standard error sqrt(se1^2 + se2^2), and
both P5/P50/P95; and for every target, both probabilities with a two-sample binomial z score.
Rows with |z| > 4 are flagged with '!!'.

Usage:
    python3 compare.py SCENARIO.csv [-n 20000] [--seed 1] [--racesim PATH]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import race_numpy  # noqa: E402

DEFAULT_RACESIM = os.path.normpath(os.path.join(HERE, "..", "..", "target", "release", "racesim"))
TOTALS = ["spend", "cost", "visitors", "leads", "customers", "orders", "repeat_orders", "revenue",
          "gross_profit", "profit", "roi", "roas", "cac", "ltv", "payback_month",
          "active_customers", "referrals"]
FLAG = 4.0


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax >= 1e5:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", "--trials", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=None,
                    help="seed for racesim (default: scenario's); numpy uses seed+1 so the "
                         "streams are unrelated anyway")
    ap.add_argument("--numpy-seed", type=int, default=12345)
    ap.add_argument("--racesim", default=DEFAULT_RACESIM)
    a = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "r.json")
        cmd = [a.racesim, "run", a.scenario, "--format", "json", "-n", str(a.trials), "-q",
               "-o", out]
        if a.seed is not None:
            cmd += ["--seed", str(a.seed)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode not in (0, 1):  # 1 = a gate failed, output still written
            sys.exit(f"racesim failed ({p.returncode}): {p.stderr}")
        rs = json.load(open(out))
    rplan = rs["plans"][0]
    npdoc, sim_s = race_numpy.run(a.scenario, a.trials, a.numpy_seed)
    n1, n2 = rs["trials"], npdoc["trials"]

    print(f"{os.path.basename(a.scenario)}: racesim {n1} trials (seed {rs['seed']}) vs numpy "
          f"reference {n2} trials (seed {a.numpy_seed}); numpy simulation {sim_s:.2f} s")
    hdr = (f"{'metric':17s} {'racesim mean':>14s} {'numpy mean':>14s} {'z':>7s}   "
           f"{'racesim P5 / P50 / P95':>36s}   {'numpy P5 / P50 / P95':>36s}")
    print(hdr)
    print("-" * len(hdr))
    flagged = []
    for m in TOTALS:
        r = rplan["metrics"].get(m)
        q = npdoc["metrics"].get(m)
        if r is None or q is None:
            print(f"{m:17s} missing in {'racesim' if r is None else 'numpy'}")
            continue
        if not r.get("defined") or not q.get("defined"):
            print(f"{m:17s} defined: racesim {r.get('defined')}  numpy {q.get('defined')}")
            continue
        se = math.hypot(r["se"], q["se"])
        d = r["mean"] - q["mean"]
        if abs(d) <= 1e-9 * max(1.0, abs(r["mean"])):
            z = 0.0  # equal up to floating-point rounding (e.g. deterministic cost)
        elif se > 0:
            z = d / se
        else:
            z = math.inf
        flag = " !!" if abs(z) > FLAG else ""
        if flag:
            flagged.append(f"metric {m}: racesim {r['mean']:.6g} vs numpy {q['mean']:.6g} (z={z:+.2f})")
        rp = " / ".join(fmt(r[k]) for k in ("p5", "p50", "p95"))
        qp = " / ".join(fmt(q[k]) for k in ("p5", "p50", "p95"))
        extra = ""
        if r["defined"] != n1 or q["defined"] != n2:
            extra = f"  (defined {r['defined']} / {q['defined']})"
        print(f"{m:17s} {fmt(r['mean']):>14s} {fmt(q['mean']):>14s} {z:+7.2f}   {rp:>36s}   "
              f"{qp:>36s}{flag}{extra}")

    print()
    print(f"{'target':36s} {'racesim P':>10s} {'numpy P':>10s} {'z':>7s}")
    rt = {(t["channel"], t["metric"], t["op"], t["value"]): t for t in rplan.get("targets", [])}
    for t in npdoc["targets"]:
        key = (t["channel"], t["metric"], t["op"], t["value"])
        name = f"{t['channel']}.{t['metric']} {t['op']} {t['value']:g}"
        r = rt.get(key)
        if r is None:
            print(f"{name:36s} missing in racesim")
            continue
        p1, p2 = r["probability"], t["probability"]
        var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        z = (p1 - p2) / math.sqrt(var) if var > 0 else (0.0 if p1 == p2 else math.inf)
        flag = " !!" if abs(z) > FLAG else ""
        if flag:
            flagged.append(f"target {name}: racesim {p1:.4f} vs numpy {p2:.4f} (z={z:+.2f})")
        print(f"{name:36s} {p1:10.4f} {p2:10.4f} {z:+7.2f}{flag}")

    print()
    if flagged:
        print(f"FLAGGED (|z| > {FLAG:g}):")
        for f in flagged:
            print("  " + f)
    else:
        print(f"no |z| > {FLAG:g}")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
