"""SQS throughput: cargobay vs moto's server, one boto3 client, batches of 10.

    python benchmarks/sqs.py                       # depth 20,000, 5,000 measured messages
    python benchmarks/sqs.py --depth 20000 --measure 5000 --json out.json

For each server (``cargobay server`` with SQLite state in a temporary directory, and
``python -m moto.server``), one boto3 client on one thread:

1. fills a standard queue to ``--depth`` messages with SendMessageBatch (10 per call);
2. sends ``--measure`` more messages into the queue that deep (SendMessageBatch);
3. receives and deletes ``--measure`` messages from it, still that deep
   (ReceiveMessage with MaxNumberOfMessages=10, then DeleteMessageBatch).

Messages per second = messages / wall time of the phase.  The fill's first and last
tenths are also timed separately: if the cost per message grew with depth, the last
tenth would be slower.  Client and server share the machine, the same for both servers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from api import start_cargobay, start_moto

BODY = json.dumps({"order": 12345, "items": ["a", "b", "c"], "note": "x" * 120})
ATTRS = {"kind": {"DataType": "String", "StringValue": "order"}}


def _client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def _send(sqs: Any, url: str, n: int, start: int = 0) -> float:
    """Send ``n`` messages in batches of 10; returns the seconds it took."""
    t0 = time.perf_counter()
    for i in range(start, start + n, 10):
        entries = [
            {"Id": str(j), "MessageBody": BODY, "MessageAttributes": ATTRS}
            for j in range(min(10, start + n - i))
        ]
        r = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if r.get("Failed"):
            raise RuntimeError(r["Failed"])
    return time.perf_counter() - t0


def _receive_delete(sqs: Any, url: str, n: int) -> tuple[float, int]:
    """Receive and delete ``n`` messages (10 at a time); returns (seconds, count)."""
    done = 0
    empty = 0
    t0 = time.perf_counter()
    while done < n and empty < 20:
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


def measure(url: str, depth: int, n: int) -> dict[str, Any]:
    sqs = _client(url)
    q = sqs.create_queue(QueueName="bench")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="warm-up")  # connection, model loading
    r = sqs.receive_message(QueueUrl=q)
    for m in r.get("Messages", []):
        sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    tenth = max(10, depth // 10 // 10 * 10)
    first = _send(sqs, q, tenth)
    middle = _send(sqs, q, depth - 2 * tenth, tenth)
    last = _send(sqs, q, tenth, depth - tenth)
    fill = first + middle + last
    sent = _send(sqs, q, n, depth)
    took, got = _receive_delete(sqs, q, n)
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])
    return {
        "fill_msgs_per_s": depth / fill,
        "fill_first_tenth_msgs_per_s": tenth / first,
        "fill_last_tenth_msgs_per_s": tenth / last,
        "send_msgs_per_s": n / sent,
        "receive_delete_msgs_per_s": got / took,
        "received": got,
        "depth_after": int(attrs["Attributes"]["ApproximateNumberOfMessages"]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depth", type=int, default=20_000)
    ap.add_argument("--measure", type=int, default=5_000,
                    help="messages sent, then received and deleted, at that depth")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--only", choices=["cargobay", "moto"], help="measure one server only")
    a = ap.parse_args()
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "depth": a.depth,
        "measured": a.measure,
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, starter in (("cargobay", lambda: start_cargobay(tmp)), ("moto", start_moto)):
            if a.only and a.only != name:
                continue
            proc, url = starter()
            try:
                r = measure(url, a.depth, a.measure)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
            out["results"][name] = r
            print(f"{name:9s} fill {r['fill_msgs_per_s']:8.0f} msg/s "
                  f"(first tenth {r['fill_first_tenth_msgs_per_s']:.0f}, "
                  f"last tenth {r['fill_last_tenth_msgs_per_s']:.0f})  "
                  f"send@depth {r['send_msgs_per_s']:8.0f} msg/s  "
                  f"receive+delete@depth {r['receive_delete_msgs_per_s']:8.0f} msg/s",
                  flush=True)
    res = out["results"]
    if "cargobay" in res and "moto" in res:
        for key in ("send_msgs_per_s", "receive_delete_msgs_per_s"):
            ratio = res["cargobay"][key] / res["moto"][key]
            out.setdefault("ratios", {})[key] = ratio
            print(f"{key}: cargobay / moto = {ratio:.1f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
