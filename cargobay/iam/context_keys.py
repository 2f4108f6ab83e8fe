"""The request context a policy's conditions are checked against.

Keys are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition":
"Context key names are not case-sensitive"), so they are stored lower-cased; values
are lists of strings (a single-valued key holds one).  Keys whose value costs
something to compute (``aws:CurrentTime``) are given as functions and computed on
first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

Values = list[str]


class ConditionContext:
    __slots__ = ("_lazy", "_values")

    def __init__(
        self,
        values: Mapping[str, Iterable[str] | str] | None = None,
        lazy: Mapping[str, Callable[[], Values | None]] | None = None,
    ) -> None:
        self._values: dict[str, Values] = {}
        self._lazy: dict[str, Callable[[], Values | None]] = {}
        if values:
            for k, v in values.items():
                self.set(k, v)
        if lazy:
            for k, f in lazy.items():
                self._lazy[k.lower()] = f

    @classmethod
    def of(cls, values: dict[str, Values]) -> ConditionContext:
        """A context from keys already lower-cased, taken as they are (no copy)."""
        ctx = cls()
        ctx._values = values
        return ctx

    def set(self, key: str, value: Iterable[str] | str | None) -> None:
        """Set ``key``; None removes it."""
        key = key.lower()
        self._lazy.pop(key, None)
        if value is None:
            self._values.pop(key, None)
        elif isinstance(value, str):
            self._values[key] = [value]
        else:
            self._values[key] = list(value)

    def set_lazy(self, key: str, compute: Callable[[], Values | None]) -> None:
        key = key.lower()
        self._values.pop(key, None)
        self._lazy[key] = compute

    def get(self, key: str) -> Values | None:
        """The key's values, or None when the request has no such key."""
        key = key.lower()
        found = self._values.get(key)
        if found is not None:
            return found
        compute = self._lazy.pop(key, None)
        if compute is None:
            return None
        value = compute()
        if value is not None:
            self._values[key] = value
        return value

    def single(self, key: str) -> str | None:
        values = self.get(key)
        return values[0] if values else None

    def copy(self) -> ConditionContext:
        other = ConditionContext()
        other._values = dict(self._values)
        other._lazy = dict(self._lazy)
        return other
