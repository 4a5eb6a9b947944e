"""The sync-activity chart as plain SVG geometry: no JavaScript, nothing to download."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH = 840
HEIGHT = 160
AXIS = 20  # room below the bars for the day labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # tooltip: hour and count


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[Tick]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT


def hourly_chart(points: list[tuple[datetime, int]], day_format: str) -> Chart:
    """Bars scaled to the busiest hour, a tick at each local midnight."""
    peak = max((n for _, n in points), default=0)
    slot = WIDTH / max(len(points), 1)
    usable = HEIGHT - AXIS
    bars: list[Bar] = []
    ticks: list[Tick] = []
    for i, (hour, n) in enumerate(points):
        local = hour.astimezone()
        # A label needs room; one that would run off the right edge is left out.
        if local.hour == 0 and i * slot < WIDTH - 40:
            ticks.append(Tick(x=round(i * slot, 1), label=local.strftime(day_format)))
        if n <= 0:
            continue
        height = max(1.0, usable * n / peak)
        bars.append(
            Bar(
                x=round(i * slot, 1),
                y=round(usable - height, 1),
                width=round(max(slot - 1, 1), 1),
                height=round(height, 1),
                label=f"{local.strftime(day_format)} {local:%H}:00 – {n}",
            )
        )
    return Chart(bars=bars, ticks=ticks, peak=peak, total=sum(n for _, n in points))
