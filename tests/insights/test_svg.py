"""Charts drawn on the server (issue #15): images with a title and description, lines that differ in more than
colour, gaps for hidden numbers, every text escaped."""

import re

from sociale_kaart.insights import svg


def test_a_line_chart_is_an_image_with_a_title_and_a_description():
    drawn = svg.line_chart(
        "c1", "Hulpvragen", "De cijfers staan in de tabel.", ["jan", "feb"], [svg.Series("Ontvangen", [4, 9])]
    )
    assert drawn.startswith('<svg class="chart" id="c1" viewBox="0 0 340 ')
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in drawn
    assert '<title id="c1-title">Hulpvragen</title><desc id="c1-desc">De cijfers staan in de tabel.</desc>' in drawn


def test_series_differ_in_colour_dash_and_marker():
    drawn = svg.line_chart("c", "t", "d", ["a", "b"], [svg.Series("één", [1, 2]), svg.Series("twee", [2, 1])])
    assert drawn.count("<polyline") == 2 and 'stroke-dasharray="6 4"' in drawn
    assert "<circle" in drawn and "<rect" in drawn


def test_a_hidden_value_leaves_a_gap_in_the_line():
    drawn = svg.line_chart("c", "t", "d", list("abcde"), [svg.Series("s", [5, 6, None, 7, 8])])
    assert drawn.count("<polyline") == 2
    assert len(re.findall(r"<circle", drawn)) == 4 + 1  # four points and the legend's marker


def test_shares_are_drawn_on_a_scale_of_zero_to_hundred_percent():
    drawn = svg.line_chart("c", "t", "d", ["K1", "K2"], [svg.Series("s", [0.5, 0.75])], percent=True)
    assert ">100%</text>" in drawn and ">50%</text>" in drawn


def test_every_text_is_escaped():
    drawn = svg.bar_chart("c", "<b>", 'a "quote"', [("<script>alert(1)</script>", 3)])
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn and "&quot;quote&quot;" in drawn


def test_bars_are_as_long_as_their_values():
    drawn = svg.bar_chart("c", "t", "d", [("Respijtzorg", 10), ("Vervoer", 5), ("Wonen", None)], hidden_text="×")
    widths = [float(width) for width in re.findall(r'<rect x="4" y="[\d.]+" width="([\d.]+)"', drawn)]
    assert widths == [292.0, 146.0]
    assert ">×</text>" in drawn


def test_the_axis_ends_at_a_round_number():
    assert svg.nice_maximum(0) == (4.0, 1.0)
    assert svg.nice_maximum(6) == (6.0, 2.0)
    assert svg.nice_maximum(23) == (25.0, 5.0)
    assert svg.nice_maximum(480) == (500.0, 100.0)
