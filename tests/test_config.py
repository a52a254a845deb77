"""The config: a corpus of broken files, each with its exact error text, and the parsers."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from habitd.config import ConfigError, default_config_path, load, loads
from habitd.sourcemap import SourceMap
from habitd.timeparse import (
    QuietHours,
    TimeRange,
    format_duration,
    parse_days,
    parse_duration,
    parse_range,
)

from .conftest import BASE_CONFIG, Env

SOURCE = Path("t.toml")

CORPUS = {
    "syntax error": (
        '[habitd]\ntimezone = "UTC"\nquiet_hours = 22:30-07:30\n',
        [
            "t.toml:3:17: habitd.quiet_hours: TOML syntax: "
            "Expected newline or end of document after a statement"
        ],
    ),
    "unclosed array": (
        '[[nudge]]\nid = "a"\nat = ["08:30"\n',
        ["t.toml:3:14: nudge[0].at: TOML syntax: Unclosed array at the end of the file"],
    ),
    "wrong types": (
        '[habitd]\nday_starts = 4\n\n[[nudge]]\nid = "a"\nat = "08:30"\nenabled = "yes"\n'
        "title = 5\n",
        [
            't.toml:2:14: habitd.day_starts: expected a time like "08:30", got an integer (4)',
            "t.toml:7:11: nudge[0].enabled: expected true or false, got a string ('yes')",
            "t.toml:8:9: nudge[0].title: expected a string, got an integer (5)",
        ],
    ),
    "unknown keys": (
        '[habitd]\ntimezon = "UTC"\n\n[[nudge]]\nid = "a"\nat = ["08:30"]\nbdy = "x"\n'
        "[nudges]\n[zzz]\n",
        [
            "t.toml:2:1: habitd.timezon: unknown key (did you mean 'timezone'?)",
            "t.toml:7:1: nudge[0].bdy: unknown key (did you mean 'body'?)",
            "t.toml:8:2: nudges: unknown key (did you mean 'nudge'?)",
            "t.toml:9:2: zzz: unknown key (known keys: habitd, nudge, habit, support, plugins)",
        ],
    ),
    "bad times": (
        '[[nudge]]\nid = "a"\nat = ["08:30", "25:00"]\n\n[[nudge]]\nid = "b"\nat = "8h"\n',
        [
            "t.toml:3:6: nudge[0].at: item 1: expected a time as HH:MM (24-hour), got '25:00'",
            "t.toml:7:6: nudge[1].at: expected a time as HH:MM (24-hour), got '8h'",
        ],
    ),
    "duplicate id": (
        '[[nudge]]\nid = "a"\nat = ["08:30"]\n\n[[nudge]]\nid = "a"\nevery = "2h"\n',
        ["t.toml:6:6: nudge[1].id: duplicate nudge id 'a' (first used by nudge[0])"],
    ),
    "schedules": (
        '[[nudge]]\nid = "a"\n\n[[nudge]]\nid = "b"\nat = ["08:00"]\ncron = "0 8 * * *"\n\n'
        '[[nudge]]\nid="c"\nevery = "0m"\n\n[[nudge]]\nid = "d"\ncron = "0 8 * *"\n\n'
        '[[nudge]]\nid = "e"\nevery = "30s"\n',
        [
            "t.toml:1:3: nudge[0]: a nudge needs exactly one of at, every, cron or date "
            "(found none)",
            "t.toml:4:3: nudge[1]: a nudge needs exactly one of at, every, cron or date "
            "(found at and cron)",
            "t.toml:11:9: nudge[2].every: the duration must be more than zero, got '0m'",
            "t.toml:15:8: nudge[3].cron: a cron expression has 5 fields "
            "(minute hour day month weekday), got 4 in '0 8 * *'",
            "t.toml:19:9: nudge[4].every: every 30s is too often for a nudge (a notification "
            "and a row each time); at least 1m",
        ],
    ),
    "settings and references": (
        '[habitd]\ntimezone = "Mars/Base"\nnotifier = "dekstop"\nquiet_hours = "22:30"\n\n'
        '[[habit]]\nid = "Med"\ntarget = "8/week"\n\n[[nudge]]\nid = "a"\nat = ["08:00"]\n'
        'habit = "run"\n',
        [
            "t.toml:2:12: habitd.timezone: unknown time zone 'Mars/Base'; use \"local\" or an "
            'IANA name like "Europe/Berlin"',
            "t.toml:3:12: habitd.notifier: expected one of auto, desktop, log, got 'dekstop' "
            "(did you mean 'desktop'?)",
            "t.toml:4:15: habitd.quiet_hours: expected a range like 22:30-07:30, got '22:30'",
            "t.toml:7:6: habit[0].id: ids use lowercase letters, digits and '-', got 'Med'",
            "t.toml:8:10: habit[0].target: times per week must be 1 to 7, got '8/week'",
            "t.toml:13:9: nudge[0].habit: unknown habit 'run'; defined habits: none yet "
            "(add a [[habit]] table)",
        ],
    ),
    "inline table and durations": (
        '[[nudge]]\nid = "a"\nat = ["08:00"]\noptions = { practice = 3 }\nsnooze = "soon"\n'
        'between = "10:00-12:00"\n',
        [
            "t.toml:5:10: nudge[0].snooze: expected a duration like 90s, 15m, 2h or 1d, got 'soon'",
            "t.toml:6:1: nudge[0].between: 'between' only goes with 'every'",
        ],
    ),
    "plugins table": (
        '[plugins]\ndisabled = "quiet"\nextra = 3\n',
        [
            "t.toml:2:12: plugins.disabled: expected a list, got a string ('quiet')",
            "t.toml:3:1: plugins.extra: expected a [plugins.extra] table of that plugin's "
            "settings, got an integer (3)",
        ],
    ),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_broken_config_reports_every_problem_with_position(name: str) -> None:
    text, expected = CORPUS[name]
    with pytest.raises(ConfigError) as raised:
        loads(text, SOURCE)
    assert raised.value.lines == expected


def test_default_config_is_valid_and_packaged_copy_matches() -> None:
    repo_copy = Path(__file__).parent.parent / "config" / "habitd.toml"
    assert repo_copy.read_text() == default_config_path().read_text()
    config = load(default_config_path())
    ids = [n.id for n in config.nudges]
    assert ids == [
        "morning-meditation",
        "afternoon-breathing",
        "evening-journal",
        "kratom-free-check-in",
        "support-check",
    ]
    assert config.settings.quiet_hours == QuietHours((TimeRange(time(22, 30), time(7, 30)),) * 7)
    assert config.habit("kratom-free") is not None


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path / "nope.toml")
    assert raised.value.lines == [
        f"{tmp_path / 'nope.toml'}: no such file (create one with `habitd init`)"
    ]


def test_sourcemap_places_nested_tables_and_inline_keys() -> None:
    text = (
        '[[nudge]]\nid = "a"\n\n[[nudge]]\nid = "b"\ntext = """\nx = 1\n"""\n'
        '[nudge.options]\npractice = "box"\n\n[plugins.halt]\nsettings = { every = "2h" }\n'
    )
    where = SourceMap(text)
    assert where.locate(("nudge", 1, "options", "practice")).line == 10  # type: ignore[union-attr]
    assert where.locate(("nudge", 0, "id")).line == 2  # type: ignore[union-attr]
    assert ("nudge", 1, "x") not in where.positions  # inside a multi-line string
    assert where.locate(("plugins", "halt", "settings", "every")).line == 13  # type: ignore[union-attr]
    assert where.locate(("plugins", "halt", "missing")).line == 12  # type: ignore[union-attr]


@pytest.mark.clock
@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1w", 604800)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(timedelta(seconds=seconds))).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "-1h", "2 hours", "1y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_ranges_and_days() -> None:
    night = parse_range("22:30-07:30")
    assert time(23, 0) in night and time(3, 0) in night and time(7, 30) not in night
    assert time(12, 0) not in night
    day = parse_range("09:00-17:00")
    assert time(9, 0) in day and time(17, 0) not in day
    with pytest.raises(ValueError, match="empty"):
        parse_range("09:00-09:00")
    assert parse_days("weekdays") == (0, 1, 2, 3, 4)
    assert parse_days(["sun", "Mon"]) == (0, 6)
    with pytest.raises(ValueError, match="unknown day 'funday'"):
        parse_days(["funday"])


def test_config_check_command_reports_unknown_kind_and_plugin_settings(env: Env) -> None:
    env.write_config(
        '[[nudge]]\nid = "a"\nkind = "mindfulnes"\nat = ["08:00"]\n\n[plugins.nosuch]\nx = 1\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out.splitlines() == [
        f"{env.config_file}:3:8: nudge[0].kind: unknown kind 'mindfulnes' "
        "(did you mean 'mindfulness'?); installed kinds: journal, mindfulness, reminder, support",
        f"{env.config_file}:6:2: plugins.nosuch: no plugin named 'nosuch' is installed; "
        "plugins: backups, goals, insights, journal, mindfulness, reminder, support",
    ]


def test_config_check_ok_and_explicit_path(env: Env, tmp_path: Path) -> None:
    assert env.ok("config", "check").out.startswith("ok (")  # the packaged default
    other = tmp_path / "other.toml"
    other.write_text('[habitd]\nnotifier = "log"\n')
    assert env.ok("config", "check", str(other)).out == "ok\n"
    other.write_text("[habitd\n")
    result = env.cli("config", "check", str(other))
    assert result.rc == 1
    assert result.out.startswith(f"{other}:1:8: the table header '[habitd': TOML syntax: ")


def test_reminder_options_are_validated_by_the_reminder_plugin(env: Env) -> None:
    env.write_config(
        '[[nudge]]\nid = "a"\nat = ["08:00"]\n[nudge.options]\nreplay = "Write"\n\n'
        '[[nudge]]\nid = "b"\nat = ["09:00"]\noptions = { reply = 3 }\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out.splitlines() == [
        f"{env.config_file}:5:1: nudge[0].options.replay: unknown option (a reminder nudge has: "
        "reply)",
        f'{env.config_file}:10:21: nudge[1].options.reply: expected a short label like "Write"',
    ]


def test_config_check_reports_every_problem_in_one_run(env: Env) -> None:
    """Core problems (a duplicate id, a bad time) no longer hide the plugins' (an unknown
    kind, support's escalate_at and role): all of them, in file order, at once."""
    env.write_config(
        '[habitd]\ntimezone = "UTC"\n\n'
        '[[nudge]]\nid = "a"\nat = ["25:00"]\n\n'
        '[[nudge]]\nid = "b"\nkind = "mindfulnes"\nat = ["08:00"]\n\n'
        '[[nudge]]\nid = "b"\nat = ["09:00"]\n\n'
        '[support]\nescalate_at = "seven"\n\n'
        '[[support.contact]]\nname = "Sam"\nrole = "spnsor"\nreach = "call"\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    said = result.out
    for expected in (
        "nudge[0].at: item 0: expected a time",
        "nudge[1].kind: unknown kind 'mindfulnes' (did you mean 'mindfulness'?)",
        "nudge[2].id: duplicate nudge id 'b' (first used by nudge[1])",
        "support.escalate_at:",
        "support.contact[0].role: expected one of",
    ):
        assert expected in said, said
    lines = [int(line.split(":")[1]) for line in said.splitlines()]
    assert lines == sorted(lines)  # in file order


def test_config_check_catches_the_quiet_mistakes(env: Env) -> None:
    env.write_config(
        '[habitd]\ntimezone = "UTC"\n\n'
        '[[habit]]\nid = "water"\ntype = "at-least"\nthreshold = -6\n\n'
        '[[nudge]]\nid = "a"\ntitle = ""\nat = ["08:00", "08:00"]\n\n'
        '[[nudge]]\nid = "gone"\ndate = "2001-01-01 09:00"\n'
    )
    result = env.cli("config", "check")
    assert result.rc == 1
    assert "habit[0].threshold: expected zero or more, got -6" in result.out
    assert "nudge[0].title: an empty title shows an empty notification" in result.out
    assert "nudge[0].at: item 1: 08:00 is listed twice" in result.out
    env.write_config(
        '[habitd]\ntimezone = "UTC"\n\n[[nudge]]\nid = "gone"\ndate = "2001-01-01 09:00"\n'
    )
    passed = env.cli("config", "check")
    assert passed.rc == 0 and "nudge gone: its date 2001-01-01 09:00 has passed" in passed.err


def test_a_broken_header_and_a_broken_habit_are_named_for_what_they_are(env: Env) -> None:
    env.write_config('[habitd]\ntimezone = "UTC"\n\n[[habit]\nid = "x"\n')
    said = env.cli("config", "check").out
    assert ":4:" in said and "the table header '[[habit]'" in said, said
    env.write_config(
        '[habitd]\ntimezone = "UTC"\n\n[[habit]]\nid = "sit"\ntype = "yes-or-no"\n\n'
        '[[nudge]]\nid = "n"\nhabit = "sit"\nat = ["08:00"]\n'
    )
    said = env.cli("config", "check").out
    assert "habit[0].type:" in said and "unknown habit" not in said, said


def test_init_force_keeps_the_old_config(env: Env) -> None:
    env.write_config(BASE_CONFIG + "\n# my contacts live here\n")
    result = env.ok("init", "--force")
    [kept] = env.config_dir.glob("habitd.toml.bak-*")
    assert f"kept the old config as {kept}" in result.out
    assert "# my contacts live here" in kept.read_text()
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
