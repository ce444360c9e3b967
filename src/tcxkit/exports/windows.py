"""How long the next window is: under the report cap and the PBX's time-out, learnt as it goes.

A report function answers at most its cap (20 000 rows by default, up to 80 000) and a
long pull ends in 504 from the PBX's proxy.  Each window is one request for all its rows,
so the window must hold fewer rows than both limits.  The planner starts small, sizes
each next window from the density it saw (aiming at ``target`` rows), halves a window
that hit the cap or timed out, and lowers its aim after a time-out so the next windows
keep under whatever the proxy allows.  Pure: no clock, no I/O, so tests can drive it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WindowPlanner"]


@dataclass
class WindowPlanner:
    """Window lengths in seconds; ``target`` rows per window, at most ``cap`` per answer."""

    cap: int
    target: int
    seconds: float = 3600.0
    min_seconds: float = 1.0
    max_seconds: float = 7 * 86400.0
    #: The most rows one answer has delivered whole: proof the cap is at least that.
    proven: int = 0
    #: Time-outs in a row at the one-second floor (reset by a window read whole).
    floor_failures: int = 0

    @classmethod
    def for_cap(cls, cap: int, seconds: float = 3600.0) -> WindowPlanner:
        """Aim at half the cap: room for a busy hour after a quiet one."""
        return cls(cap=cap, target=max(1, cap // 2), seconds=seconds)

    def done(self, rows: int, seconds: float) -> None:
        """A window of ``seconds`` delivered ``rows`` whole: size the next one."""
        self.proven = max(self.proven, rows)
        self.floor_failures = 0
        grown = seconds * 4 if rows <= 0 else seconds * self.target / rows
        self.seconds = self._clamp(min(grown, seconds * 4))

    def too_many(self, count: int, delivered: int, seconds: float) -> float:
        """The PBX counted ``count`` rows but ``delivered`` fewer: its cap is ``delivered``
        (it may be set lower than asked), so later windows aim at half of that too."""
        if delivered > 0:
            self.target = max(1, min(self.target, delivered // 2))
        share = max(1, self.target) / max(count, 1)
        return self._shrunk(seconds * min(0.5, share))

    def timed_out(self, seconds: float) -> float:
        """A window of ``seconds`` timed out (504 or no answer): the retry's length.

        The aim drops by 30 % too, so after a few time-outs every window stays under
        whatever the proxy allows, however busy the hours ahead.
        """
        self.target = max(1, int(self.target * 0.7))
        return self._shrunk(seconds / 2)

    def at_floor(self, seconds: float) -> bool:
        return seconds <= self.min_seconds

    def _shrunk(self, seconds: float) -> float:
        self.seconds = self._clamp(seconds)
        return self.seconds

    def _clamp(self, seconds: float) -> float:
        """Whole seconds (windows meet exactly, whatever the PBX's fractional digits)."""
        return float(max(self.min_seconds, min(self.max_seconds, round(seconds))))
