"""Charts as inline SVG, drawn on the server: no scripts, no CDN, nothing to download.

Each function takes plain numbers and returns one ``<svg>`` element. Marks carry a ``<title>`` (the
browser's tooltip) and ``data-*`` attributes that say what they show, so a page can be checked
without reading pixels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 64, 16, 16, 44


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values from at or below ``lo`` to at or above ``hi`` (steps of 1, 2 or 5 times a
    power of ten)."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def fmt(value: float) -> str:
    """A tick label: 1,200 / 3.5 / 0.25."""
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Axis:
    """A linear axis from ``lo`` to ``hi`` (padded to nice ticks) with a label."""

    label: str
    lo: float
    hi: float

    @classmethod
    def fitting(cls, label: str, values: Sequence[float | None], *, zero: bool = True) -> Axis:
        """An axis covering ``values`` (and 0 when ``zero``), widened to nice ticks."""
        finite = [v for v in values if v is not None and math.isfinite(v)] or [0.0, 1.0]
        lo = min(0.0, *finite) if zero else min(finite)
        ticks = nice_ticks(lo, max(finite))
        return cls(label, ticks[0], ticks[-1])


@dataclass
class Frame:
    """A plotting area of ``width`` x ``height`` px with an x and a y axis."""

    x: Axis
    y: Axis
    width: int = 640
    height: int = 320
    parts: list[str] = field(default_factory=list)

    def px(self, x: float) -> float:
        inner = self.width - PAD_LEFT - PAD_RIGHT
        return PAD_LEFT + (x - self.x.lo) / (self.x.hi - self.x.lo) * inner

    def py(self, y: float) -> float:
        inner = self.height - PAD_TOP - PAD_BOTTOM
        return PAD_TOP + inner - (y - self.y.lo) / (self.y.hi - self.y.lo) * inner

    def add(self, part: str) -> None:
        self.parts.append(part)

    def hline(self, y: float, label: str, color: str, kind: str) -> None:
        """A dashed reference line across the chart at ``y``, labelled at its right end."""
        if self.y.lo <= y <= self.y.hi:
            py, right = self.py(y), self.width - PAD_RIGHT
            self._ref(kind, y, (PAD_LEFT, py, right, py), (right - 4, py - 4), label, color)

    def vline(self, x: float, label: str, color: str, kind: str) -> None:
        """A dashed reference line up the chart at ``x``, labelled at its top, to its left."""
        if self.x.lo <= x <= self.x.hi:
            px = self.px(x)
            self._ref(kind, x, (px, PAD_TOP, px, self.height - PAD_BOTTOM), (px - 4, PAD_TOP + 12), label, color)

    def _ref(self, kind: str, value: float, ends: tuple, at: tuple, label: str, color: str) -> None:
        x1, y1, x2, y2 = ends
        self.add(f"<line class='ref' data-kind='{esc(kind)}' data-value='{value:g}' x1='{x1:.1f}' y1='{y1:.1f}' "
                 f"x2='{x2:.1f}' y2='{y2:.1f}' stroke='{color}' stroke-dasharray='6 3'/>"
                 f"<text x='{at[0]:.1f}' y='{at[1]:.1f}' text-anchor='end' fill='{color}'>"
                 f"{esc(label)}</text>")  # fmt: skip

    def svg(self, title: str) -> str:
        """The whole chart: grid, ticks, axis labels, then the marks added."""
        bottom, right = self.height - PAD_BOTTOM, self.width - PAD_RIGHT
        grid = []
        for t in nice_ticks(self.x.lo, self.x.hi):
            if self.x.lo <= t <= self.x.hi:
                x = self.px(t)
                grid.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{PAD_TOP}' y2='{bottom}' class='grid'/>"
                            f"<text x='{x:.1f}' y='{bottom + 14}' text-anchor='middle'>{fmt(t)}</text>")  # fmt: skip
        for t in nice_ticks(self.y.lo, self.y.hi):
            if self.y.lo <= t <= self.y.hi:
                y = self.py(t)
                grid.append(f"<line x1='{PAD_LEFT}' x2='{right}' y1='{y:.1f}' y2='{y:.1f}' class='grid'/>"
                            f"<text x='{PAD_LEFT - 6}' y='{y + 4:.1f}' text-anchor='end'>{fmt(t)}</text>")  # fmt: skip
        return (
            f"<svg class='chart' viewBox='0 0 {self.width} {self.height}' width='{self.width}' height='{self.height}' "
            f"role='img' aria-label='{esc(title)}'><title>{esc(title)}</title>"
            + "".join(grid)
            + f"<line x1='{PAD_LEFT}' x2='{right}' y1='{bottom}' y2='{bottom}' class='axis'/>"
            f"<line x1='{PAD_LEFT}' x2='{PAD_LEFT}' y1='{PAD_TOP}' y2='{bottom}' class='axis'/>"
            f"<text x='{(PAD_LEFT + right) / 2:.0f}' y='{self.height - 6}' text-anchor='middle' class='label'>"
            f"{esc(self.x.label)}</text>"
            f"<text transform='translate(14 {(PAD_TOP + bottom) / 2:.0f}) rotate(-90)' text-anchor='middle' "
            f"class='label'>{esc(self.y.label)}</text>" + "".join(self.parts) + "</svg>"
        )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    color: str = PALETTE[0]
    href: str | None = None
    hollow: bool = False  # e.g. a project that misses its goal
    kind: str = "point"


def scatter(title: str, x: Axis, y: Axis, points: Sequence[Point], *, width: int = 640, height: int = 360) -> str:
    frame = Frame(x, y, width, height)
    for p in points:
        fill = "white" if p.hollow else p.color
        mark = (f"<circle class='mark' data-kind='{esc(p.kind)}' data-label='{esc(p.label)}' cx='{frame.px(p.x):.1f}' "
                f"cy='{frame.py(p.y):.1f}' r='5' fill='{fill}' stroke='{p.color}' stroke-width='2'>"
                f"<title>{esc(p.label)}</title></circle>")  # fmt: skip
        frame.add(f"<a href='{esc(p.href)}'>{mark}</a>" if p.href else mark)
    return frame.svg(title)


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[float, float]]
    color: str = PALETTE[0]


def lines(title: str, frame: Frame, series: Sequence[Series]) -> str:
    """Polylines with a dot per point and a legend, on ``frame`` (which may already hold reference
    lines)."""
    for n, s in enumerate(series):
        pts = " ".join(f"{frame.px(a):.1f},{frame.py(b):.1f}" for a, b in s.points)
        frame.add(f"<polyline class='series' data-series='{esc(s.name)}' data-points='{len(s.points)}' points='{pts}' "
                  f"fill='none' stroke='{s.color}' stroke-width='2'/>")  # fmt: skip
        for a, b in s.points:
            frame.add(f"<circle cx='{frame.px(a):.1f}' cy='{frame.py(b):.1f}' r='3' fill='{s.color}'>"
                      f"<title>{esc(s.name)}: {fmt(a)}, {fmt(b)}</title></circle>")  # fmt: skip
        ly = PAD_TOP + 14 * n + 4
        frame.add(f"<rect x='{PAD_LEFT + 8}' y='{ly}' width='10' height='10' fill='{s.color}'/>"
                  f"<text x='{PAD_LEFT + 22}' y='{ly + 9}'>{esc(s.name)}</text>")  # fmt: skip
    return frame.svg(title)


@dataclass(frozen=True)
class Bar:
    """One task on a vCPU-vs-time Gantt: its time span and its pieces on the vCPU axis."""

    task: str
    start_s: float
    end_s: float
    pieces: Sequence[tuple[float, float]]  # (bottom vCPU, height)
    label: str
    color: str


def gantt(title: str, bars: Sequence[Bar], *, capacity_vcpus: float, span_s: float, sla_s: float | None = None,
          width: int = 760, height: int = 300, x_label: str = "seconds from the plan's start") -> str:  # fmt: skip
    """Time right, vCPUs up, each task a block per piece; the capacity and the SLA as lines."""
    frame = Frame(Axis(x_label, 0.0, span_s or 1.0),
                  Axis("vCPUs", 0.0, capacity_vcpus or 1.0), width, height)  # fmt: skip
    for b in bars:
        x0, x1 = frame.px(b.start_s), frame.px(b.end_s)
        for k, (bottom, size) in enumerate(b.pieces):
            y0, y1 = frame.py(bottom + size), frame.py(bottom)
            frame.add(f"<rect class='task' data-task='{esc(b.task)}' data-start='{b.start_s:g}' data-end='{b.end_s:g}' "
                      f"x='{x0:.1f}' y='{y0:.1f}' width='{max(1.0, x1 - x0):.1f}' height='{max(1.0, y1 - y0):.1f}' "
                      f"fill='{b.color}' stroke='white'><title>{esc(b.label)}</title></rect>")  # fmt: skip
            if k == 0 and x1 - x0 > 40 and y1 - y0 > 12:
                frame.add(f"<text x='{x0 + 4:.1f}' y='{y0 + 12:.1f}' fill='white'>{esc(b.task)}</text>")
    frame.hline(capacity_vcpus, f"capacity {capacity_vcpus:g} vCPUs", "#555", "capacity")
    if sla_s is not None:
        frame.vline(sla_s, f"SLA {sla_s:,.0f} s", "#d62728", "sla")
    return frame.svg(title)
