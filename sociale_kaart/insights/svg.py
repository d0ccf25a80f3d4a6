"""Charts of the area analysis as SVG, drawn on the server (issue #15; pure, no Flask).

Each chart is an image with a title and a description for screen readers (role="img"); the page
shows its data table and a sentence beside it, so nothing depends on seeing the lines. Lines
differ in colour, dash and marker, never in colour alone. Sizes are in a 340-unit-wide viewBox:
about one to one on a phone, and the stylesheet caps the width on a large screen.
A value None (hidden or unknown) leaves a gap in a line and no bar.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 340
FONT = 12.5
# colour (≥ 7:1 on white), dash pattern, marker: series differ in all three
STYLES = (
    ("#00466e", "", "circle"),
    ("#7a3d00", "6 4", "square"),
    ("#14532d", "2 3", "diamond"),
    ("#5a2d82", "9 3 2 3", "triangle"),
)
AXIS = "#4a4a4a"
GRID = "#c9c9c9"


@dataclass(frozen=True)
class Series:
    """One line: its name and a value (or None) per label."""

    name: str
    values: Sequence[float | None]


def _text(value) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_maximum(largest: float) -> tuple[float, float]:
    """Return (axis maximum, tick step): four or five round steps that reach the largest value."""
    if largest <= 0:
        return 4.0, 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if largest <= step * 5:
            ticks = -(-largest // step)
            return float(max(ticks, 1) * step), float(step)
    step = 10 ** len(str(int(largest))) / 10
    return float(-(-largest // step) * step), float(step)


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg class="chart" id="{_text(chart_id)}" viewBox="0 0 {WIDTH} {_number(height)}" role="img" '
        f'aria-labelledby="{_text(chart_id)}-title {_text(chart_id)}-desc" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{_text(chart_id)}-title">{_text(title)}</title>',
        f'<desc id="{_text(chart_id)}-desc">{_text(description)}</desc>',
    ]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{_number(x - 3.5)}" y="{_number(y - 3.5)}" width="7" height="7" fill="{colour}"/>'
    if shape == "diamond":
        points = (
            f"{_number(x)},{_number(y - 4.5)} {_number(x + 4.5)},{_number(y)} {_number(x)},{_number(y + 4.5)} "
            f"{_number(x - 4.5)},{_number(y)}"
        )
        return f'<polygon points="{points}" fill="{colour}"/>'
    if shape == "triangle":
        points = (
            f"{_number(x)},{_number(y - 4.5)} {_number(x + 4.5)},{_number(y + 3.5)} "
            f"{_number(x - 4.5)},{_number(y + 3.5)}"
        )
        return f'<polygon points="{points}" fill="{colour}"/>'
    return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="3.5" fill="{colour}"/>'


def _runs(points):
    """Split [(x, y) or None] into runs of consecutive known points."""
    run: list = []
    for point in points:
        if point is None:
            if run:
                yield run
            run = []
        else:
            run.append(point)
    if run:
        yield run


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    percent: bool = False,
    number: Callable[[float], str] = _number,
) -> str:
    """Return an SVG line chart of some series over labels (months, quarters); percent: values 0-1."""
    left, right, top, plot_height = 42.0, 10.0, 10.0, 150.0
    legend_top = top + plot_height + 34
    height = legend_top + 20 * len(series) + 4
    values = [value for line in series for value in line.values if value is not None]
    if percent:
        maximum, step = 1.0, 0.25
    else:
        maximum, step = nice_maximum(max(values, default=0))
    plot_width = WIDTH - left - right
    count = max(len(labels), 1)

    def x_of(index):
        return left + (plot_width / 2 if count == 1 else plot_width * index / (count - 1))

    def y_of(value):
        return top + plot_height - plot_height * (value / maximum)

    parts = _open(chart_id, title, description, height)
    tick = 0.0
    while tick <= maximum + 1e-9:
        y = y_of(tick)
        label = f"{round(tick * 100)}%" if percent else number(tick)
        parts.append(
            f'<line x1="{_number(left)}" x2="{_number(WIDTH - right)}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{GRID if tick else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_number(left - 6)}" y="{_number(y + 4)}" text-anchor="end" fill="{AXIS}">{_text(label)}</text>'
        )
        tick += step
    every = max(1, -(-count // 6))  # at most about six labels under the axis
    for index, label in enumerate(labels):
        if index % every == 0:
            # the last label ends at the right edge instead of running off it
            anchor = "end" if index == count - 1 and count > 1 else "middle"
            x = x_of(index) + (4 if anchor == "end" else 0)
            parts.append(
                f'<text x="{_number(x)}" y="{_number(top + plot_height + 18)}" '
                f'text-anchor="{anchor}" fill="{AXIS}">{_text(label)}</text>'
            )
    for number_of_line, line in enumerate(series):
        colour, dash, shape = STYLES[number_of_line % len(STYLES)]
        points = [
            None if value is None else (x_of(index), y_of(min(value, maximum)))
            for index, value in enumerate(line.values)
        ]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        for run in _runs(points):
            if len(run) > 1:
                path = " ".join(f"{_number(x)},{_number(y)}" for x, y in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
                )
            parts.extend(_marker(shape, x, y, colour) for x, y in run)
        y = legend_top + 20 * number_of_line
        parts.append(
            f'<line x1="{_number(left)}" x2="{_number(left + 28)}" y1="{_number(y)}" y2="{_number(y)}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
        )
        parts.append(_marker(shape, left + 14, y, colour))
        parts.append(f'<text x="{_number(left + 36)}" y="{_number(y + 4)}" fill="#1b1b1b">{_text(line.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, float | None]],
    number: Callable[[float], str] = _number,
    hidden_text: str = "",
) -> str:
    """Return an SVG chart of horizontal bars, each with its label above it and its value behind it."""
    left, right, row = 4.0, 44.0, 36.0
    height = row * len(items) + 6
    maximum = max((value for _label, value in items if value is not None), default=0) or 1
    parts = _open(chart_id, title, description, height)
    colour = STYLES[0][0]
    for index, (label, value) in enumerate(items):
        y = row * index + 4
        parts.append(f'<text x="{_number(left)}" y="{_number(y + 11)}" fill="#1b1b1b">{_text(label)}</text>')
        if value is None:
            parts.append(f'<text x="{_number(left)}" y="{_number(y + 28)}" fill="{AXIS}">{_text(hidden_text)}</text>')
            continue
        width = (WIDTH - left - right) * value / maximum
        parts.append(
            f'<rect x="{_number(left)}" y="{_number(y + 16)}" width="{_number(max(width, 1.5))}" '
            f'height="14" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{_number(left + width + 5)}" y="{_number(y + 27)}" fill="#1b1b1b">{_text(number(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
