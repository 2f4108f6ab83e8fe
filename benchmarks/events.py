"""EventBridge: events matched per second against 1,000 rules of mixed operators, in
process and end to end (PutEvents → SQS), cargobay vs moto on the same workload.

    python benchmarks/events.py                    # both measurements, both engines
    python benchmarks/events.py --events 5000 --moto-events 500 --json out.json

The workload (seeded, the same for both): 100 sources × 10 detail-types; 1,000 rules,
each on the default bus with one SQS target.  950 name a source and a detail-type plus a
condition on ``detail`` cycling through numeric ranges, prefix, suffix, anything-but,
exists + nested values, equals-ignore-case, cidr, wildcard and $or; 40 name only a
source prefix (plus a condition); 10 name no source or type at all (numeric and
wildcard on ``detail``) and must be tried on every event.  Events pick a source and
type at random, with detail fields that satisfy each kind of condition about half the
time.

1. In process: cargobay's compiled RuleIndex (cargobay/services/events/pattern.py) over
   the 1,000 patterns vs moto's EventPattern.matches_event tried rule by rule (what
   moto's PutEvents does), on the same events.
2. End to end: ``cargobay server`` (SQLite state in a temporary directory, rule quota
   raised with CARGOBAY_EVENTS_RULES_PER_BUS) and ``python -m moto.server``; one boto3
   client sends PutEvents batches of 10 as fast as it can.  "put" is events acknowledged
   per second; "delivered" is events per second until the queue holds every message the
   matches call for (ApproximateNumberOfMessages).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _support import client, cpu_seconds, each_server, machine, save_json

from cargobay.services.events.pattern import RuleIndex, compile_pattern

SOURCES = [f"com.acme.svc{i:03d}" for i in range(100)]
TYPES = [f"Type {c}" for c in "ABCDEFGHIJ"]
REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]


def _condition(i: int) -> dict[str, Any]:
    kind = i % 8
    if kind == 0:
        return {"amount": [{"numeric": [">", i % 500, "<=", 1000]}]}
    if kind == 1:
        return {"region": [{"prefix": "us-"}]}
    if kind == 2:
        return {"file": [{"suffix": ".png"}]}
    if kind == 3:
        return {"status": [{"anything-but": ["ok", "pending"]}]}
    if kind == 4:
        return {"coupon": [{"exists": False}], "customer": {"tier": ["gold", "platinum"]}}
    if kind == 5:
        return {"status": [{"equals-ignore-case": "FAILED"}]}
    if kind == 6:
        return {"ip": [{"cidr": f"10.{i % 256}.0.0/16"}]}
    return {"path": [{"wildcard": "/orders/*/items/*"}]}


def rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(1000):
        if i >= 990:
            out.append({"detail": {"amount": [{"numeric": [">", 900 + i % 100]}],
                                   "status": [{"wildcard": "*x*"}]}})
        elif i >= 950:
            out.append({"source": [{"prefix": SOURCES[i % 100][:-1]}],
                        "detail": _condition(i)})
        elif i % 16 == 15:
            out.append({"source": [SOURCES[i % 100]], "detail-type": [TYPES[(i // 100) % 10]],
                        "$or": [{"detail": _condition(i)},
                                {"detail": {"priority": [{"numeric": [">=", 9]}]}}]})
        else:
            out.append({"source": [SOURCES[i % 100]], "detail-type": [TYPES[(i // 100) % 10]],
                        "detail": _condition(i)})
    return out


def details(n: int, seed: int = 7) -> list[tuple[str, str, dict[str, Any]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        d = {"amount": rng.randint(0, 1000), "region": rng.choice(REGIONS),
             "status": rng.choice(["ok", "failed", "FAILED", "pending"]),
             "ip": f"10.{rng.randint(0, 255)}.1.2",
             "customer": {"tier": rng.choice(["gold", "silver"])},
             "file": rng.choice(["a.png", "b.jpg"]), "path": "/orders/1/items/2",
             "priority": rng.randint(0, 9)}
        if rng.random() < 0.3:
            d["coupon"] = "SAVE10"
        out.append((rng.choice(SOURCES), rng.choice(TYPES), d))
    return out


def envelope(i: int, source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "id": f"{i:08d}", "detail-type": detail_type, "source": source,
            "account": "000000000000", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": detail}


# -- 1. in process --------------------------------------------------------------------------


def in_process(n: int, moto_n: int) -> dict[str, Any]:
    patterns = [json.dumps(r) for r in rules()]
    events = [envelope(i, *d) for i, d in enumerate(details(n))]
    t0 = time.perf_counter()
    index = RuleIndex((f"r{i}", compile_pattern(p)) for i, p in enumerate(patterns))
    build = time.perf_counter() - t0
    matched = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for e in events:
        matched += len(index.match(e))
    ours, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    candidates = sum(len(index.candidates(e)) for e in events[:2000]) / min(n, 2000)
    result: dict[str, Any] = {
        "cargobay": {"events": n, "events_per_s": n / ours, "events_per_cpu_s": n / ours_cpu,
                     "matches_per_event": matched / n,
                     "candidates_per_event": candidates, "index_build_ms": build * 1000},
    }
    try:
        from moto.events.models import EventPattern
    except ImportError:
        return result
    moto_rules = [EventPattern.load(p) for p in patterns]
    sample = events[:moto_n]
    m_matched = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for e in sample:
        m_matched += sum(1 for r in moto_rules if r.matches_event(e))
    theirs, theirs_cpu = time.perf_counter() - t0, time.process_time() - c0
    ours_on_sample = sum(len(index.match(e)) for e in sample)
    result["moto"] = {"events": moto_n, "events_per_s": moto_n / theirs,
                      "events_per_cpu_s": moto_n / theirs_cpu,
                      "matches_per_event": m_matched / moto_n,
                      "cargobay_matches_per_event_same_sample": ours_on_sample / moto_n}
    result["ratio"] = result["cargobay"]["events_per_s"] / result["moto"]["events_per_s"]
    result["ratio_cpu"] = (result["cargobay"]["events_per_cpu_s"]
                           / result["moto"]["events_per_cpu_s"])
    return result


# -- 2. end to end --------------------------------------------------------------------------


#: room for the 1,000 rules on one bus
RULE_QUOTA = {"CARGOBAY_EVENTS_RULES_PER_BUS": "2000"}


def end_to_end(url: str, n: int, expected_matches: int | None, pid: int) -> dict[str, Any]:
    events, sqs = client("events", url), client("sqs", url)
    q = sqs.create_queue(QueueName="bench")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    for i, r in enumerate(rules()):
        events.put_rule(Name=f"r{i:04d}", EventPattern=json.dumps(r))
        events.put_targets(Rule=f"r{i:04d}", Targets=[{"Id": "q", "Arn": arn}])
    entries = [{"Source": s, "DetailType": t, "Detail": json.dumps(d)}
               for s, t, d in details(n)]
    events.put_events(Entries=[{"Source": "warm.up", "DetailType": "x", "Detail": "{}"}])
    failed = 0
    server0, client0 = cpu_seconds(pid), time.process_time()
    t0 = time.perf_counter()
    for i in range(0, n, 10):
        failed += events.put_events(Entries=entries[i:i + 10])["FailedEntryCount"]
    put = time.perf_counter() - t0
    client_cpu = time.process_time() - client0

    def depth() -> int:
        a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        return sum(int(v) for v in a["Attributes"].values())

    want = expected_matches
    last, stable_since = -1, time.perf_counter()
    while True:
        d = depth()
        now = time.perf_counter()
        if want is not None and d >= want:
            break
        if d != last:
            last, stable_since = d, now
        elif now - stable_since > 3.0:  # nothing more is coming
            break
        if now - t0 > 600:
            break
        time.sleep(0.05)
    delivered = time.perf_counter() - t0
    server_cpu = cpu_seconds(pid) - server0
    return {"events": n, "failed": failed, "put_events_per_s": n / put,
            "messages": d, "delivered_events_per_s": n / delivered,
            "server_cpu_s": server_cpu, "events_per_server_cpu_s": n / server_cpu,
            "client_cpu_ms_per_call": client_cpu / (n / 10) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5000, help="events for cargobay")
    ap.add_argument("--moto-events", type=int, default=500, help="events for moto")
    ap.add_argument("--matcher-events", type=int, default=50000)
    ap.add_argument("--only", choices=["matcher", "e2e"])
    ap.add_argument("--json")
    a = ap.parse_args()
    out: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    if a.only != "e2e":
        load = os.getloadavg()[0]
        out["load_before"] = load
        print(f"load average before: {load:.2f} on {os.cpu_count()} cores")
        r = in_process(a.matcher_events, min(a.matcher_events, 300))
        out["in_process"] = r
        c = r["cargobay"]
        print(f"matcher  cargobay {c['events_per_s']:9.0f} events/s "
              f"({c['events_per_cpu_s']:.0f} per CPU-second)  "
              f"({c['matches_per_event']:.2f} matches, {c['candidates_per_event']:.1f} "
              f"candidates per event; index built in {c['index_build_ms']:.0f} ms)")
        if "moto" in r:
            print(f"matcher  moto     {r['moto']['events_per_s']:9.0f} events/s "
                  f"({r['moto']['events_per_cpu_s']:.0f} per CPU-second)  "
                  f"({r['moto']['matches_per_event']:.2f} matches per event; cargobay "
                  f"{r['moto']['cargobay_matches_per_event_same_sample']:.2f} on that sample)"
                  f"   ratio {r['ratio']:.1f}x", flush=True)
    if a.only != "matcher":
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        sample = [envelope(i, *d) for i, d in enumerate(details(a.events))]
        index = RuleIndex((i, compile_pattern(json.dumps(p))) for i, p in enumerate(rules()))
        expected = sum(len(index.match(e)) for e in sample)
        moto_expected = sum(len(index.match(e)) for e in sample[:a.moto_events])
        out["end_to_end"] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, srv in each_server(tmp, env=RULE_QUOTA):
                n, want = (a.events, expected) if name == "cargobay" else (a.moto_events, None)
                r = end_to_end(srv.url, n, want, srv.pid)
                if name == "moto":
                    r["cargobay_would_deliver"] = moto_expected
                out["end_to_end"][name] = r
                print(f"e2e      {name:8s} {r['put_events_per_s']:9.0f} events/s put, "
                      f"{r['delivered_events_per_s']:8.0f} events/s delivered  "
                      f"({r['events']} events, {r['messages']} messages, "
                      f"{r['failed']} failed; {r['events_per_server_cpu_s']:.0f} events per "
                      f"server CPU-second, client {r['client_cpu_ms_per_call']:.2f} ms CPU "
                      "per call)", flush=True)
        e = out["end_to_end"]
        for k in ("put_events_per_s", "delivered_events_per_s"):
            e[f"ratio_{k}"] = e["cargobay"][k] / e["moto"][k]
        print(f"e2e      cargobay / moto = {e['ratio_put_events_per_s']:.1f}x put, "
              f"{e['ratio_delivered_events_per_s']:.1f}x delivered")
    save_json(a.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
