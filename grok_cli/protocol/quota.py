"""Usage quotas: the ``POST /rest/rate-limits`` exchange (protocol section 4.5), and durations.

The 2026 request names the mode in ``modelName``. Answers carry query counts, sometimes token
counts instead (older accounts), and ``waitTimeSeconds`` once nothing is left; the effort
sub-objects may carry their own wait. Every field is optional here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grok_cli.errors import RateLimitedError

RATE_LIMITS_PATH = "/rest/rate-limits"


@dataclass(frozen=True, slots=True)
class Quota:
    remaining: int | None
    total: int | None
    window_seconds: int | None
    wait_seconds: float | None  # when the next query frees up, if grok.com said

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def as_json(self) -> dict[str, Any]:
        return {
            "remaining": self.remaining,
            "total": self.total,
            "window_seconds": self.window_seconds,
            "wait_seconds": self.wait_seconds,
        }


def rate_limits_body(mode: str) -> dict[str, str]:
    return {"modelName": mode}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _count(obj: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = _number(obj.get(key))
        if value is not None:
            return int(value)
    return None


def parse_rate_limits(data: Any) -> Quota:
    obj: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    wait = _number(obj.get("waitTimeSeconds"))
    if wait is None:
        nested = [
            w
            for key in ("lowEffortRateLimits", "highEffortRateLimits")
            if isinstance(obj.get(key), Mapping) and (w := _number(obj[key].get("waitTimeSeconds"))) is not None
        ]
        wait = min(nested, default=None)
    return Quota(
        remaining=_count(obj, "remainingQueries", "remainingTokens"),
        total=_count(obj, "totalQueries", "totalTokens"),
        window_seconds=_count(obj, "windowSizeSeconds"),
        wait_seconds=None if wait is None or wait <= 0 else wait,
    )


def duration(seconds: float) -> str:
    """A short human duration: ``45 s``, ``20 min``, ``2 h``, ``1.5 h``, ``3 d``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 59.5:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.0f} h" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f} h"
    return f"{hours / 24:.0f} d"


def explain(error: RateLimitedError, mode: str, quota: Quota) -> RateLimitedError:
    """A rate-limit error retold with what /rest/rate-limits says about ``mode``.

    The 429 itself rarely says when to come back (its Retry-After is a short back-off, not the
    quota window), but the quota answer does. When that answer shows nothing exhausted, the
    limit was something else and the original error stands.
    """
    if not quota.exhausted and not (quota.remaining is None and quota.wait_seconds is not None):
        return error
    used = f"all {quota.total} queries" if quota.total else "all queries"
    window = f" of its {duration(quota.window_seconds)} window" if quota.window_seconds else ""
    message = f"grok.com's usage limit for {mode} was reached: {used}{window} are used"
    other = "or use another mode with -m (`grok models --quota` shows what is left)."
    if quota.wait_seconds is not None:
        wait = quota.wait_seconds
        return RateLimitedError(
            f"{message}; it resets in about {duration(wait)}.", f"Try again then, {other}", retry_after=wait
        )
    if quota.window_seconds:
        hint = f"Queries free up within {duration(quota.window_seconds)}; try again later, {other}"
        return RateLimitedError(f"{message}.", hint, retry_after=error.retry_after)
    return RateLimitedError(f"{message}.", error.hint, retry_after=error.retry_after)
