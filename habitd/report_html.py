"""``habitd report --html``: one self-contained page, made on your machine, fetching nothing.

Charts are inline SVG from :mod:`habitd.svgchart`; every chart has its words beside it (a
sentence or a small table) for screen readers and for paper. A Content-Security-Policy
forbids any fetch or script. Colours follow the system's light or dark scheme, and the
page prints cleanly for a counsellor.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from habitd import svgchart
from habitd.words import plural

EMPTY = "Nothing to show yet. Write your first entry with `habitd journal` or `habitd urge`."
RISK_NOTE = (
    "Risk windows are hours of the week when your urges have clustered (from at least two "
    "weeks of urge logs). With [plugins.insights] pre_emptive = true, habitd sends a calm "
    "moment 30 minutes before each one."
)

STYLE = """
:root { --ink: #1f2933; --muted: #5f6b76; --paper: #fbfaf7; --accent: #0072b2;
        --accent2: #009e73; --warm: #e69f00; --grid: #d9dee3; --empty: #eceff1; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e7ebee; --muted: #a7b1ba; --paper: #15191d; --accent: #56b4e9;
          --accent2: #3fc8a0; --warm: #f0b43c; --grid: #33404a; --empty: #26303a; }
}
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: var(--ink); background: var(--paper); }
h1 { color: var(--accent2); font-weight: 600; } h2 { margin-top: 2.2rem; }
.note, .alt { color: var(--muted); } section { break-inside: avoid; }
svg.chart { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
svg .title { font-size: 13px; font-weight: 600; fill: var(--ink); }
svg .label, svg .tick { font-size: 12px; fill: var(--muted); }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .bar { fill: var(--accent); } svg .line { fill: none; stroke: var(--accent); stroke-width: 2; }
svg .dot { fill: var(--accent); } svg .cell { fill: var(--accent2); }
svg .risk { stroke: var(--warm); stroke-width: 2; }
table.alt { border-collapse: collapse; font-size: 14px; }
table.alt td, table.alt th { padding: 2px 10px 2px 0; text-align: left; }
.legend span { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
               margin: 0 4px 0 12px; vertical-align: middle; border: 1px solid var(--grid); }
@media print { body { background: #fff; color: #000; max-width: none; }
               .note { color: #333; } a { color: inherit; } }
"""

MOOD_COLOURS = (
    (-10, "#b2182b"),
    (-5, "#ef8a62"),
    (0, "#f7f7f7"),
    (5, "#67a9cf"),
    (10, "#2166ac"),
)
"""Diverging, colour-blind safe (ColorBrewer RdBu): heavy days warm, light days blue."""
KEPT_COLOURS = {"done": "var(--accent2)", "lapse": "var(--warm)", "skipped": "var(--grid)"}


def render(data: dict[str, Any]) -> str:
    """The whole page for ``habitd report --json``'s data."""
    sections = [
        ("triggers", "What set things off", _counted(data["triggers"][:10], "Triggers")),
        ("mood", "Mood, day by day", _mood(data.get("mood_by_day", []))),
        ("emotions", "Feelings", _emotions(data["emotions"][:10])),
        ("craving", "Cravings over time", _cravings(data)),
        ("hours", "When cravings happen", _hours(data)),
        ("halt", "HALT", _halt(data["halt"])),
        ("helped", "What helped", _helped(data["helped"])),
        ("streaks", "Streaks", _streaks(data["streaks"])),
        ("habits", "Your habits over time", _habits(data.get("habits", []))),
        ("risk", "Risk windows", _risk(data["risk_windows"])),
        ("year", "Your year in pixels", _year(data["year"], data.get("habits", []))),
    ]
    body = "".join(
        f'<section id="{sid}"><h2>{escape(title)}</h2>{content}</section>'
        for sid, title, content in sections
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>habitd report</title><style>{STYLE}</style></head><body>
<h1>Your last {data["days"]} days</h1>
<p id="overview">{plural(data["entries"], "entries")}. This report was made on
your machine and fetches nothing.</p>
{body}
</body></html>
"""


def _nothing() -> str:
    return f"<p>{escape(EMPTY)}</p>"


def _alt(rows: list[tuple[str, str]], headers: tuple[str, str]) -> str:
    cells = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
    return (
        f'<details><summary class="note">As a table</summary><table class="alt">'
        f"<tr><th>{escape(headers[0])}</th><th>{escape(headers[1])}</th></tr>{cells}"
        "</table></details>"
    )


def _counted(items: list[dict[str, Any]], title: str) -> str:
    if not items:
        return _nothing()
    pairs = [(str(item["name"]), int(item["count"])) for item in items]
    first = pairs[0]
    sentence = f"Most often: {first[0]} ({plural(first[1], 'times')})."
    return (
        f"<p>{escape(sentence)}</p>"
        + svgchart.bars(pairs, title)
        + _alt([(name, str(n)) for name, n in pairs], ("what", "times"))
    )


def _emotions(items: list[dict[str, Any]]) -> str:
    if not items:
        return _nothing()
    pairs = [(str(item["name"]), int(item["count"])) for item in items]
    rows = [
        (str(e["name"]), f"{plural(e['count'], 'times')}, mean {e['mean_intensity']}/10")
        for e in items
    ]
    return svgchart.bars(pairs, "How often") + _alt(rows, ("feeling", "how often, how strong"))


def _cravings(data: dict[str, Any]) -> str:
    craving = data["craving"]
    if not craving["count"]:
        return _nothing()
    by_day = data["craving_by_day"]
    sentence = (
        f"{plural(craving['count'], 'urges')} logged, mean {craving['mean']}/10, "
        f"strongest {craving['max']}/10."
    )
    surfed = data.get("surfed") or []
    if surfed:
        eased = sum(1 for s in surfed if s["end"] is not None and s["end"] < s["start"])
        sentence += f" {plural(len(surfed), 'urges')} surfed; {eased} eased by the end."
    points = [(d["day"][5:], float(d["mean"])) for d in by_day]
    first = date.fromisoformat(by_day[0]["day"])
    xs = [(date.fromisoformat(d["day"]) - first).days for d in by_day]
    chart = svgchart.line(points, "Mean strength by day", xs=xs)
    rows = [(d["day"], f"{d['count']} at {d['mean']}/10") for d in by_day]
    weeks = data.get("craving_by_week") or []
    weekly = "".join(
        f"<tr><td>{escape(w['week'])}</td><td>{w['urges']}</td><td>{w['not_acted']}</td>"
        f"<td>{w['surfed']}</td></tr>"
        for w in weeks
    )
    table = (
        '<table class="alt"><tr><th>week of</th><th>urges</th><th>not acted on</th>'
        f"<th>surfed</th></tr>{weekly}</table>"
        if weeks
        else ""
    )
    return (
        f"<p>{escape(sentence)}</p>"
        + chart
        + _alt(rows, ("day", "urges, mean strength"))
        + "<h3>Week by week</h3>"
        + table
    )


def _mood(days: list[dict[str, Any]]) -> str:
    """The 1-5 daily mood (asked first by habitd journal; Daylio's scale)."""
    if not days:
        return "<p class='note'>No moods yet: habitd journal asks for one first.</p>"
    first = date.fromisoformat(days[0]["day"])
    chart = svgchart.line(
        [(d["day"][5:], float(d["mood"])) for d in days],
        "Mood (1 awful ... 5 great)",
        top=5,
        xs=[(date.fromisoformat(d["day"]) - first).days for d in days],
    )
    mean = sum(d["mood"] for d in days) / len(days)
    return f"<p>{plural(len(days), 'days')} with a mood, on average {mean:.1f}.</p>" + chart


def _hours(data: dict[str, Any]) -> str:
    cells = data["craving_by_hour"]
    if not cells:
        return _nothing()
    counts = {(c["weekday"], int(c["hour"])): int(c["count"]) for c in cells}
    marked = [(w["weekday"], int(w["hour"])) for w in data["risk_windows"]]
    busiest = max(cells, key=lambda c: c["count"])
    sentence = (
        f"The busiest hour: {busiest['weekday']} {busiest['hour']:02d}:00 "
        f"({plural(busiest['count'], 'urges')}). Outlined: your risk windows."
    )
    return f"<p>{escape(sentence)}</p>" + svgchart.week_grid(
        counts, "Urges by weekday and hour", marked
    )


def _halt(halt: list[dict[str, Any]]) -> str:
    shown = [h for h in halt if h["count"]]
    if not shown:
        return _nothing()
    return _list([f"{h['state']}: {plural(h['count'], 'times')}" for h in shown])


def _helped(helped: dict[str, Any]) -> str:
    items = [f"{c['what']} ({c['count']}x)" for c in helped["coped"]] + [
        f"practice: {p['what']} ({p['count']}x)" for p in helped["practices"]
    ]
    if not items:
        return _nothing()
    return (
        "<p class='note'>What you did instead, when the urge passed without acting on it, "
        "most often first.</p>" + _list(items)
    )


def _streaks(streaks: list[dict[str, Any]]) -> str:
    if not streaks:
        return _nothing()
    return _list(
        [
            f"{s['habit']}: current {s['current']} {s['unit']}, best {s['best']}, strength "
            f"{s['strength']:.0%}"
            for s in streaks
        ]
    )


def _habits(habits: list[dict[str, Any]]) -> str:
    """Per habit: strength week by week (Loop's score), done days by weekday, and for an
    abstain habit the days kept and, with ``cost_per_day``, what was not spent."""
    if not habits:
        return _nothing()
    parts = []
    for habit in habits:
        parts.append(f"<h3>{escape(habit['name'])}</h3>")
        if habit.get("days_kept") is not None:
            sentence = f"{plural(habit['days_kept'], 'days')} kept"
            if habit.get("not_spent") is not None:
                money = f"{habit['not_spent']:,.2f}".rstrip("0").rstrip(".")
                currency = f" {habit['currency']}" if habit.get("currency") else ""
                sentence += f", about {money}{currency} not spent"
            parts.append(f"<p>{escape(sentence)}.</p>")
        weekly = habit["strength_by_week"]
        if len(weekly) >= 2:
            first = date.fromisoformat(weekly[0][0])
            parts.append(
                svgchart.line(
                    [(day[5:], float(score)) for day, score in weekly],
                    "Strength, week by week (%)",
                    top=100,
                    xs=[(date.fromisoformat(day) - first).days for day, _ in weekly],
                )
            )
        done = [(day, int(count)) for day, count in habit["done_by_weekday"].items()]
        if any(count for _, count in done):
            parts.append(svgchart.bars(done, "Done days by weekday"))
        elif len(weekly) < 2:
            parts.append("<p class='note'>Not enough marks yet to draw.</p>")
    return "".join(parts)


def _risk(windows: list[dict[str, Any]]) -> str:
    found = _list([w["label"] for w in windows]) if windows else "<p>None found yet.</p>"
    return found + f"<p class='note'>{escape(RISK_NOTE)}</p>"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _year(year: dict[str, Any], habits: list[dict[str, Any]]) -> str:
    """Daylio-style grids for the last year, for mood and for each habit: a column per
    week, a row per weekday, month names above, weekday names beside, and legends."""
    start = date.fromisoformat(year["start"])
    mood_legend = "".join(
        f'<span style="background:{colour}"></span>{label}'
        for label, colour in (
            ("heavy", MOOD_COLOURS[0][1]),
            ("mixed", MOOD_COLOURS[2][1]),
            ("light", MOOD_COLOURS[4][1]),
        )
    )
    kept_legend = "".join(
        f'<span style="background:{colour}"></span>{label}'
        for label, colour in (
            ("kept", KEPT_COLOURS["done"]),
            ("a slip", KEPT_COLOURS["lapse"]),
            ("skipped", KEPT_COLOURS["skipped"]),
        )
    )
    mood = {date.fromisoformat(day): _mood_colour(value) for day, value in year["mood"].items()}
    for day, rated in year.get("rated", {}).items():  # a 1-5 mood given wins
        mood[date.fromisoformat(day)] = MOOD_COLOURS[max(0, min(4, round(rated) - 1))][1]
    grids = [
        svgchart.year_grid(start, mood, "Mood")
        + f'<p class="legend note">{mood_legend}<span style="background:var(--empty)"></span>'
        "nothing written</p>"
    ]
    for habit in habits or [{"name": "Days kept (abstain habits)", "year": year["clean"]}]:
        kept = {
            date.fromisoformat(day): KEPT_COLOURS.get(state, "var(--empty)")
            for day, state in habit["year"].items()
        }
        grids.append(svgchart.year_grid(start, kept, str(habit["name"])))
    return "".join(grids) + f'<p class="legend note">{kept_legend}</p>'


def _mood_colour(value: float | None) -> str:
    if value is None:
        return "var(--empty)"
    for bound, colour in MOOD_COLOURS:
        if value <= bound + 2.5:
            return colour
    return MOOD_COLOURS[-1][1]
