"""SQS throughput: cargobay vs moto's server, one boto3 client, batches of 10.

    python benchmarks/sqs.py        # depth 20,000; 5 rounds of 2,000 messages at that depth
    python benchmarks/sqs.py --depth 20000 --measure 2000 --rounds 5 --json out.json

For each server (``cargobay server`` with SQLite state in a temporary directory, and
``python -m moto.server``), one boto3 client on one thread:

1. fills a standard queue to ``--depth`` messages with SendMessageBatch (10 per call);
2. then, ``--rounds`` times: sends ``--measure`` messages into the queue that deep
   (SendMessageBatch), and receives and deletes as many from it, still that deep
   (ReceiveMessage with MaxNumberOfMessages=10, then DeleteMessageBatch).

Messages per second = messages / wall time of the phase; for the rounds, the median
round is reported (with every round's number), so that a burst of other work on a
shared machine does not decide the result.  The fill's first and last
tenths are also timed separately: if the cost per message grew with depth, the last
tenth would be slower.  Client and server share the machine, the same for both servers.

Every phase has a time budget (``--budget`` seconds).  moto's server spends time in
proportion to the queue's depth on every send and receive, so it may not reach the
depth in the budget: it is then measured at the depth it reached, which flatters it
(deeper, it would be slower still), and the depth is reported with its numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _support import client, each_server, machine, save_json

BODY = json.dumps({"order": 12345, "items": ["a", "b", "c"], "note": "x" * 120})
ATTRS = {"kind": {"DataType": "String", "StringValue": "order"}}


def _send(sqs: Any, url: str, n: int, start: int = 0,
          budget: float = 1e9) -> tuple[float, int]:
    """Send up to ``n`` messages in batches of 10 within ``budget`` seconds; returns
    (seconds, messages sent)."""
    t0 = time.perf_counter()
    sent = 0
    for i in range(start, start + n, 10):
        if time.perf_counter() - t0 > budget:
            break
        entries = [
            {"Id": str(j), "MessageBody": BODY, "MessageAttributes": ATTRS}
            for j in range(min(10, start + n - i))
        ]
        r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if r.get("Failed"):
            raise RuntimeError(r["Failed"])
        sent += len(entries)
    return time.perf_counter() - t0, sent


def _receive_delete(sqs: Any, url: str, n: int, budget: float = 1e9) -> tuple[float, int]:
    """Receive and delete up to ``n`` messages (10 at a time) within ``budget`` seconds;
    returns (seconds, count)."""
    done = 0
    empty = 0
    t0 = time.perf_counter()
    while done < n and empty < 20 and time.perf_counter() - t0 < budget:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        msgs = r.get("Messages", [])
        if not msgs:
            empty += 1
            continue
        d = sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
        ])
        if d.get("Failed"):
            raise RuntimeError(d["Failed"])
        done += len(msgs)
    return time.perf_counter() - t0, done


def measure(url: str, depth: int, n: int, budget: float, rounds: int) -> dict[str, Any]:
    sqs = client("sqs", url)
    q = sqs.create_queue(QueueName="bench")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="warm-up")  # connection, model loading
    r = sqs.receive_message(QueueUrl=q)
    for m in r.get("Messages", []):
        sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    tenth = max(10, depth // 10 // 10 * 10)
    first, n_first = _send(sqs, q, tenth, budget=budget)
    middle, n_middle = _send(sqs, q, depth - 2 * tenth, n_first, budget=budget - first)
    last, n_last = _send(sqs, q, tenth, n_first + n_middle, budget=budget - first - middle)
    filled = n_first + n_middle + n_last
    fill = first + middle + last
    send_rates: list[float] = []
    recv_rates: list[float] = []
    sent = got = 0
    for _ in range(rounds):
        s_took, s_n = _send(sqs, q, n, filled, budget=budget / rounds)
        r_took, r_n = _receive_delete(sqs, q, s_n, budget=budget / rounds)
        send_rates.append(s_n / s_took)
        recv_rates.append(r_n / r_took)
        sent += s_n
        got += r_n
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])
    return {
        "depth_reached": filled,
        "fill_seconds": fill,
        "fill_msgs_per_s": filled / fill,
        "fill_first_tenth_msgs_per_s": n_first / first,
        "fill_last_tenth_msgs_per_s": n_last / last if n_last else None,
        "sent_at_depth": sent,
        "send_msgs_per_s": statistics.median(send_rates),
        "send_rounds": [round(r) for r in send_rates],
        "received_at_depth": got,
        "receive_delete_msgs_per_s": statistics.median(recv_rates),
        "receive_delete_rounds": [round(r) for r in recv_rates],
        "depth_after": int(attrs["Attributes"]["ApproximateNumberOfMessages"]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depth", type=int, default=20_000)
    ap.add_argument("--measure", type=int, default=2_000,
                    help="messages sent, then received and deleted, at that depth, per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=180.0,
                    help="seconds allowed per phase (fill, send, receive+delete)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--only", choices=["cargobay", "moto"], help="measure one server only")
    a = ap.parse_args()
    out: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "depth": a.depth,
        "measured_per_round": a.measure,
        "rounds": a.rounds,
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, srv in each_server(tmp, a.only):
            r = measure(srv.url, a.depth, a.measure, a.budget, a.rounds)
            out["results"][name] = r
            last = r["fill_last_tenth_msgs_per_s"]
            print(f"{name:9s} fill to {r['depth_reached']} {r['fill_msgs_per_s']:8.0f} msg/s "
                  f"(first tenth {r['fill_first_tenth_msgs_per_s']:.0f}, last tenth "
                  f"{'-' if last is None else f'{last:.0f}'})  "
                  f"send@depth {r['send_msgs_per_s']:8.1f} msg/s {r['send_rounds']}  "
                  f"receive+delete@depth {r['receive_delete_msgs_per_s']:8.1f} msg/s "
                  f"{r['receive_delete_rounds']}", flush=True)
    res = out["results"]
    if "cargobay" in res and "moto" in res:
        for key in ("send_msgs_per_s", "receive_delete_msgs_per_s"):
            ratio = res["cargobay"][key] / res["moto"][key]
            out.setdefault("ratios", {})[key] = ratio
            print(f"{key}: cargobay / moto = {ratio:.1f}x")
    save_json(a.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
