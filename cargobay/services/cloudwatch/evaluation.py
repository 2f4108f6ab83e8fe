"""M out of N over the evaluation range, as the CloudWatch User Guide documents it
("Configuring how CloudWatch alarms treat missing data", "How alarm state is evaluated
when data is missing").

CloudWatch reads an evaluation range wider than N periods (N + 2: the guide's tables
read 5 datapoints for N = 3), oldest first.  Then:

- with N or more real datapoints in the range, the N most recent real ones are
  evaluated and the treatment of missing data does not matter;
- with none, ``missing`` → INSUFFICIENT_DATA, ``ignore`` → the state is kept,
  ``breaching`` → ALARM, ``notBreaching`` → OK;
- with fewer than N, every real datapoint is evaluated together with as few filled
  ones as possible (the most recent missing periods).  ``breaching`` / ``notBreaching``
  fill them as such.  ``missing`` and ``ignore`` reproduce the guide's two tables:
  when a real datapoint is not breaching, the filled ones do not breach; when every
  real datapoint breaches, M of them → ALARM; otherwise ``missing`` → ALARM when the
  oldest evaluated datapoint is a real, breaching one (the guide's 6th row of the
  first table: "the oldest evaluated data point is breaching and there aren't any
  non-breaching data points") and INSUFFICIENT_DATA otherwise; ``ignore`` keeps the
  state.

ALARM when at least M evaluated datapoints breach, otherwise OK.
"""

from __future__ import annotations

from dataclasses import dataclass

ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def range_size(n: int) -> int:
    return n + 2


@dataclass
class Outcome:
    #: the new state, or None to keep the current one
    state: str | None
    #: indexes (into the range) of the real datapoints evaluated, oldest first
    real: list[int]
    #: how many missing datapoints were filled
    filled: int
    breaching: int


def evaluate(flags: list[bool | None], m: int, n: int, treat: str) -> Outcome:
    """``flags`` is the evaluation range, oldest first: True breaching, False not
    breaching, None missing."""
    reals = [i for i, f in enumerate(flags) if f is not None]
    if len(reals) >= n:
        chosen = reals[-n:]
        b = sum(1 for i in chosen if flags[i])
        return Outcome(ALARM if b >= m else OK, chosen, 0, b)
    fill = n - len(reals)
    b = sum(1 for i in reals if flags[i])
    nb = len(reals) - b
    if not reals:
        state = {"missing": INSUFFICIENT, "ignore": None, "breaching": ALARM,
                 "notBreaching": OK}[treat]
        return Outcome(state, [], fill, n if treat == "breaching" else 0)
    if treat == "breaching":
        return Outcome(ALARM if b + fill >= m else OK, reals, fill, b + fill)
    if treat == "notBreaching" or nb > 0 or b >= m:
        return Outcome(ALARM if b >= m else OK, reals, fill, b)
    missing = [i for i, f in enumerate(flags) if f is None]
    oldest_fill = missing[-fill]
    if treat == "missing" and reals[0] < oldest_fill:
        return Outcome(ALARM, reals, fill, b)
    return Outcome(INSUFFICIENT if treat == "missing" else None, reals, fill, b)


def breaches(value: float, operator: str, threshold: float) -> bool:
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if operator == "LessThanThreshold":
        return value < threshold
    return value <= threshold
