#!/usr/bin/env python3
"""Independent numpy reference implementation of the racesim model (SPEC.md v1, section 4).

Written from /work/shared/SPEC.md only (not from racesim's Rust source). Every quantity is a
numpy array over trials (shape [trials]) or a stack of them ([channels, ..., trials]); Python
loops run over months only, and every random draw is an exact numpy sampler (binomial, poisson,
gamma, beta, triangular, uniform, lognormal) acting on all trials at once.

Usage:
    python3 race_numpy.py SCENARIO.csv [--trials N] [--seed S] [--json OUT.json] [--quiet]
"""

import argparse
import csv
import json
import math
import re
import sys
import time

import numpy as np

# --------------------------------------------------------------------------------------------
# Scenario parsing (SPEC section 2, the subset the model needs)
# --------------------------------------------------------------------------------------------

STAGES = {"plan", "reach", "act", "convert", "engage", "target"}
REFERRAL = "referral"

# (stage, metric) -> default (None = no default / required or "none")
DEFAULTS = {
    ("plan", "horizon_months"): 12,
    ("plan", "campaign_months"): 1,
    ("plan", "gross_margin"): 1.0,
    ("plan", "discount_rate"): 0.0,
    ("plan", "fixed_cost"): 0.0,
    ("plan", "trials"): 10000,
    ("plan", "seed"): 0,
    ("reach", "spend"): 0.0,
    ("reach", "cost_per_visit"): None,
    ("reach", "audience"): None,
    ("act", "rate"): None,
    ("convert", "rate"): None,
    ("convert", "order_value"): None,
    ("convert", "order_value_cv"): 0.0,
    ("engage", "repeat_rate"): 0.0,
    ("engage", "repeat_order_value"): None,  # defaults to the channel's order_value
    ("engage", "churn"): 1.0,
    ("engage", "churn_polarization"): 0.0,
    ("engage", "referral_rate"): 0.0,
}
FIXED = {("plan", "horizon_months"), ("plan", "campaign_months"), ("plan", "trials"),
         ("plan", "seed"), ("reach", "spend")}

DIST_RE = re.compile(r"^\s*([a-z]+)\s*\((.*)\)\s*$", re.I)
TARGET_RE = re.compile(r"^\s*(>=|<=|>|<)\s*([^@\s]+)\s*(?:@\s*(\S+))?\s*$")
DIST_ARITY = {"uniform": 2, "triangular": 3, "pert": 3, "beta": 2, "lognormal": 2}


class ScenarioError(Exception):
    pass


def parse_value(text):
    """A plain number -> float; a distribution -> (name, params tuple)."""
    s = text.strip()
    m = DIST_RE.match(s)
    if m:
        name = m.group(1).lower()
        if name not in DIST_ARITY:
            raise ScenarioError(f"unknown distribution {name!r}")
        params = tuple(float(x) for x in m.group(2).split(","))
        if len(params) != DIST_ARITY[name]:
            raise ScenarioError(f"{name} takes {DIST_ARITY[name]} parameters: {text!r}")
        return (name, params)
    try:
        return float(s)
    except ValueError:
        raise ScenarioError(f"not a number or distribution: {text!r}")


def read_scenario(path):
    with open(path, encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    values = {}   # (stage, channel, metric) -> value
    targets = []  # dicts
    channels = []
    for r in rows:
        stage = r["stage"].strip().lower()
        chan = r["channel"].strip().lower()
        metric = r["metric"].strip().lower()
        raw = r["value"]
        if stage not in STAGES:
            raise ScenarioError(f"unknown stage {stage!r}")
        if chan != "*" and chan not in channels:
            channels.append(chan)
        if stage == "target":
            m = TARGET_RE.match(raw)
            if not m:
                raise ScenarioError(f"bad target {raw!r}")
            targets.append({"channel": chan, "metric": metric, "op": m.group(1),
                            "value": float(m.group(2)),
                            "required": float(m.group(3)) if m.group(3) else None})
            continue
        key = (stage, chan, metric)
        if key in values:
            raise ScenarioError(f"duplicate row {key}")
        if (stage, metric) not in DEFAULTS:
            raise ScenarioError(f"unknown metric {stage}.{metric}")
        if stage == "plan" and chan != "*":
            raise ScenarioError("plan rows must use *")
        if chan == REFERRAL and stage == "reach":
            raise ScenarioError("referral may not have reach rows")
        v = parse_value(raw)
        if (stage, metric) in FIXED and not isinstance(v, float):
            raise ScenarioError(f"{stage}.{metric} takes a plain number")
        values[key] = v
    return values, targets, channels


# --------------------------------------------------------------------------------------------
# Assumption draws (SPEC 2.1): each row drawn once per trial, vectorised over trials
# --------------------------------------------------------------------------------------------

def draw(rng, v, n):
    if isinstance(v, float):
        return np.full(n, v)
    name, p = v
    if name == "uniform":
        return rng.uniform(p[0], p[1], n)
    if name == "triangular":
        return rng.triangular(p[0], p[1], p[2], n)
    if name == "pert":
        lo, mo, hi = p
        a = 1.0 + 4.0 * (mo - lo) / (hi - lo)
        b = 1.0 + 4.0 * (hi - mo) / (hi - lo)
        return lo + (hi - lo) * rng.beta(a, b, n)
    if name == "beta":
        return rng.beta(p[0], p[1], n)
    if name == "lognormal":
        mean, sd = p
        s2 = math.log1p((sd / mean) ** 2)
        return rng.lognormal(math.log(mean) - 0.5 * s2, math.sqrt(s2), n)
    raise ScenarioError(name)


# --------------------------------------------------------------------------------------------
# The model (SPEC section 4), vectorised over trials
# --------------------------------------------------------------------------------------------

def simulate(values, channels_named, n, seed):
    rng = np.random.default_rng(seed)

    # one draw per row per trial; '*' rows drawn once and shared by inheriting channels
    drawn = {key: draw(rng, v, n) for key, v in sorted(values.items())}

    def plan(metric):
        key = ("plan", "*", metric)
        return drawn[key] if key in drawn else np.full(n, float(DEFAULTS[("plan", metric)]))

    def fixed_plan(metric):
        return values.get(("plan", "*", metric), float(DEFAULTS[("plan", metric)]))

    H = int(fixed_plan("horizon_months"))
    C = int(fixed_plan("campaign_months"))
    if not (1 <= H <= 600 and 1 <= C <= H):
        raise ScenarioError("bad horizon/campaign months")
    gm = plan("gross_margin")
    disc_rate = plan("discount_rate")
    fixed_cost = plan("fixed_cost")

    def param(stage, chan, metric):
        for key in ((stage, chan, metric), (stage, "*", metric)):
            if key in drawn:
                return drawn[key]
        return None

    # the channel list: every named channel, plus the built-in referral channel when
    # some channel (or the referral channel itself, or '*') may refer visitors
    chans = [c for c in channels_named if c != REFERRAL]
    ref_possible = any(np.any(param("engage", c, "referral_rate") > 0)
                       for c in chans + [REFERRAL] if param("engage", c, "referral_rate") is not None)
    if ref_possible or REFERRAL in channels_named:
        chans.append(REFERRAL)
    K = len(chans)
    ref_idx = chans.index(REFERRAL) if REFERRAL in chans else None

    spend = np.array([values.get(("reach", c, "spend"), values.get(("reach", "*", "spend"), 0.0))
                      if c != REFERRAL else 0.0 for c in chans])

    def stack(stage, metric, default, required_when=None):
        out = np.empty((K, n))
        for i, c in enumerate(chans):
            v = param(stage, c, metric)
            if v is None:
                if default is None:
                    if required_when is not None and required_when[i]:
                        raise ScenarioError(f"{stage}.{metric} required for channel {c}")
                    v = 0.0
                else:
                    v = default
            out[i] = v
        return out

    receives = [spend[i] > 0 or (c == REFERRAL and ref_possible) for i, c in enumerate(chans)]
    act = stack("act", "rate", None, receives)
    conv = stack("convert", "rate", None, receives)
    aov = stack("convert", "order_value", None, receives)
    cv = stack("convert", "order_value_cv", 0.0)
    rov = aov.copy()
    for i, c in enumerate(chans):
        v = param("engage", c, "repeat_order_value")
        if v is not None:
            rov[i] = v
    repeat_rate = stack("engage", "repeat_rate", 0.0)
    churn = stack("engage", "churn", 1.0)
    phi = stack("engage", "churn_polarization", 0.0)
    ref_rate = stack("engage", "referral_rate", 0.0)

    # ---- 4.1 Reach: paid visitors per channel, split evenly at random over months 1..C
    paid = np.zeros((K, C, n), dtype=np.int64)
    for i, c in enumerate(chans):
        S = spend[i]
        if S <= 0:
            continue
        v = param("reach", c, "cost_per_visit")
        if v is None:
            raise ScenarioError(f"reach.cost_per_visit required for channel {c}")
        A = param("reach", c, "audience")
        if A is not None:
            A = np.rint(A).astype(np.int64)
            p = -np.expm1(-S / (v * A))
            V = rng.binomial(A, p)
        else:
            V = rng.poisson(S / v)
        rem = V
        for m in range(C - 1):  # multinomial with equal shares as sequential binomials
            x = rng.binomial(rem, 1.0 / (C - m))
            paid[i, m] = x
            rem = rem - x
        paid[i, C - 1] = rem

    # ---- per-month helpers
    t_idx = np.arange(1, H + 1)
    disc = (1.0 + disc_rate[None, :]) ** (-t_idx[:, None] / 12.0)  # [H, n]

    cv_pos = cv > 0
    cv2 = np.where(cv_pos, cv * cv, 1.0)

    def order_values(count, mean):
        """Total value of `count` orders with mean `mean` and CV cv (SPEC 4.2), [K, n]."""
        g = rng.gamma(count / cv2, mean * cv2)
        return np.where(cv_pos, g, mean * count)

    # sBG retention parameters per channel & trial
    pol = phi > 0
    kappa = np.where(pol, 1.0 / np.where(pol, phi, 1.0) - 1.0, 0.0)
    alpha = churn * kappa
    beta_ = (1.0 - churn) * kappa
    ab = alpha + beta_
    k = np.arange(1, H + 1, dtype=float)[None, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        r_table = np.where(pol[:, None, :],
                           (beta_[:, None, :] + k - 1.0) / (ab[:, None, :] + k - 1.0),
                           1.0 - churn[:, None, :])          # [K, H, n]: r(k) at index k-1
    P = K - 1 if ref_idx is not None else K                   # paid channels come first

    # state
    cohorts = np.zeros((K, H, n), dtype=np.int64)  # active customers by acquisition month
    visitors = np.zeros((K, n), dtype=np.int64)
    leads_tot = np.zeros((K, n), dtype=np.int64)
    cust_tot = np.zeros((K, n), dtype=np.int64)
    rep_tot = np.zeros((K, n), dtype=np.int64)
    rev_pv = np.zeros((K, n))
    referrals = np.zeros(n, dtype=np.int64)
    ref_arrivals = np.zeros(n, dtype=np.int64)
    rev_month = np.zeros((H, n))        # nominal revenue by month
    active_month = np.zeros((H, n), dtype=np.int64)
    zeros_int = np.zeros((K, n), dtype=np.int64)

    for t in range(H):  # month t+1
        # visitors of this month
        V = paid[:, t].copy() if t < C else zeros_int.copy()
        if ref_idx is not None:
            V[ref_idx] = ref_arrivals
        # 4.2 Act and Convert
        leads = rng.binomial(V, act)
        new = rng.binomial(leads, conv)
        first_val = order_values(new, aov)
        # 4.4 repeat orders and referrals from customers acquired before t, still active
        a = cohorts[:, :t].sum(axis=1) if t > 0 else zeros_int
        reps = rng.poisson(repeat_rate * a)
        rep_val = order_values(reps, rov)
        if ref_idx is not None and t < H - 1:
            sent = rng.poisson((ref_rate * a).sum(axis=0))
            referrals += sent
            ref_arrivals = sent
        # book
        visitors += V
        leads_tot += leads
        cust_tot += new
        rep_tot += reps
        month_val = first_val + rep_val          # [K, n]
        rev_month[t] = month_val.sum(axis=0)
        rev_pv += month_val * disc[t]
        cohorts[:, t] = new
        active_month[t] = a.sum(axis=0) + new.sum(axis=0)
        # 4.3 end of month: each cohort's survivors, conditionally binomial with r(k),
        # k = month ends passed = t - t0 + 1; r_table[:, t::-1] lines up cohorts 0..t.
        # Paid channels acquire only in months 1..C, so only those cohorts are drawn.
        if t < H - 1:
            rt = r_table[:, t::-1]
            m = min(t + 1, C)
            if P:
                cohorts[:P, :m] = rng.binomial(cohorts[:P, :m], rt[:P, :m])
            if ref_idx is not None:
                cohorts[ref_idx, :t + 1] = rng.binomial(cohorts[ref_idx, :t + 1], rt[ref_idx])

    # ---- 4.5 Money
    cost_month = np.zeros((H, n))
    cost_month[:C] += spend.sum() / C
    cost_month[0] += fixed_cost
    cost_pv = (cost_month * disc).sum(axis=0)
    revenue = rev_pv.sum(axis=0)
    gross_profit = gm * revenue
    profit = gross_profit - cost_pv
    customers = cust_tot.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost_pv > 0, profit / cost_pv, np.nan)
        roas = np.where(cost_pv > 0, revenue / cost_pv, np.nan)
        cac = np.where(customers > 0, cost_pv / customers, np.nan)
        ltv = np.where(customers > 0, gross_profit / customers, np.nan)
    cum = np.cumsum(disc * (gm[None, :] * rev_month - cost_month), axis=0)
    ok = cum >= 0
    payback = np.where(ok.any(axis=0), ok.argmax(axis=0) + 1.0, np.nan)

    totals = {
        "spend": np.full(n, spend.sum()),
        "cost": cost_pv,
        "visitors": visitors.sum(axis=0),
        "leads": leads_tot.sum(axis=0),
        "customers": customers,
        "orders": customers + rep_tot.sum(axis=0),
        "repeat_orders": rep_tot.sum(axis=0),
        "revenue": revenue,
        "gross_profit": gross_profit,
        "profit": profit,
        "roi": roi,
        "roas": roas,
        "cac": cac,
        "ltv": ltv,
        "payback_month": payback,
        "active_customers": active_month[H - 1],
        "referrals": referrals,
    }

    # per channel: cost is the channel's own (discounted) spend
    camp_disc = disc[:C].sum(axis=0)  # [n]
    per_channel = {}
    for i, c in enumerate(chans):
        ccost = spend[i] / C * camp_disc
        cgp = gm * rev_pv[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            croi = (cgp - ccost) / ccost if spend[i] > 0 else np.full(n, np.nan)
        per_channel[c] = {
            "spend": np.full(n, spend[i]),
            "visitors": visitors[i],
            "leads": leads_tot[i],
            "customers": cust_tot[i],
            "orders": cust_tot[i] + rep_tot[i],
            "revenue": rev_pv[i],
            "gross_profit": cgp,
            "roi": croi,
        }
    return totals, per_channel


# --------------------------------------------------------------------------------------------
# Summaries and targets
# --------------------------------------------------------------------------------------------

def summarize(x):
    x = np.asarray(x, dtype=float)
    d = x[~np.isnan(x)]
    out = {"defined": int(d.size)}
    if d.size == 0:
        return out
    sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
    p5, p50, p95 = np.percentile(d, [5, 50, 95])
    out.update(mean=float(d.mean()), sd=sd, se=sd / math.sqrt(d.size),
               p5=float(p5), p50=float(p50), p95=float(p95))
    return out


OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def target_probability(tg, totals, per_channel):
    src = totals if tg["channel"] == "*" else per_channel.get(tg["channel"], {})
    if tg["metric"] not in src:
        raise ScenarioError(f"unknown target metric {tg['channel']}.{tg['metric']}")
    x = np.asarray(src[tg["metric"]], dtype=float)
    with np.errstate(invalid="ignore"):
        hold = OPS[tg["op"]](x, tg["value"])  # NaN compares False: never holds
    return float(hold.mean())


def run(path, trials=None, seed=None):
    values, targets, channels = read_scenario(path)
    n = int(trials if trials is not None else values.get(("plan", "*", "trials"), 10000))
    s = int(seed if seed is not None else values.get(("plan", "*", "seed"), 0))
    t0 = time.perf_counter()
    totals, per_channel = simulate(values, channels, n, s)
    sim_s = time.perf_counter() - t0
    doc = {
        "scenario": path, "trials": n, "seed": s,
        "metrics": {k: summarize(v) for k, v in totals.items()},
        "channels": {c: {k: summarize(v) for k, v in m.items()} for c, m in per_channel.items()},
        "targets": [dict(tg, probability=target_probability(tg, totals, per_channel))
                    for tg in targets],
    }
    return doc, sim_s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--trials", "-n", type=int)
    ap.add_argument("--seed", "-s", type=int)
    ap.add_argument("--json", help="write the summary JSON to this file")
    ap.add_argument("--quiet", "-q", action="store_true", help="print only the timing line")
    a = ap.parse_args(argv)
    t_start = time.perf_counter()
    doc, sim_s = run(a.scenario, a.trials, a.seed)
    n = doc["trials"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    if not a.quiet:
        for k, v in doc["metrics"].items():
            if v["defined"]:
                print(f"{k:18s} mean {v['mean']:14.4f}  p5 {v['p5']:14.4f}  "
                      f"p50 {v['p50']:14.4f}  p95 {v['p95']:14.4f}")
        for tg in doc["targets"]:
            print(f"target {tg['channel']}.{tg['metric']} {tg['op']} {tg['value']}: "
                  f"P = {tg['probability']:.4f}")
    total_s = time.perf_counter() - t_start
    print(f"simulation: {sim_s:.3f} s for {n} trials = {sim_s / n * 1e6:.1f} us/trial "
          f"(run() incl. parse+summary: {total_s:.3f} s)")


if __name__ == "__main__":
    main()
