"""Mindfulness: the practice library, nudges that rotate, guided sessions in a real terminal
(pty) and a pipe, Ctrl-C, and urge surfing's ratings."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pexpect
import pytest

from habitd.builtin.practices import load, parse
from habitd.testing import TEST_ZONE

from .conftest import Env, wait_for

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "meditate"
name = "Meditate"

[[nudge]]
id = "calm"
kind = "mindfulness"
date = "2100-01-01 03:00"
habit = "meditate"

[[nudge]]
id = "box"
kind = "mindfulness"
date = "2100-01-01 04:00"
[nudge.options]
practice = "box-breathing"
"""

BROKEN = """\
[[practice]]
id = "slow"
name = "Slow"
steps = [
    { say = "In", seconds = 0 },
    { say = "Out", seconds = 4 },
]

[[practice]]
id = "slow"
name = "Slow again"
text = "Again"
steps = [{ say = "In", seconds = 4 }]

[[practice]]
id = "long"
name = "Long"
text = "%s"
steps = [{ say = "In", seconds = 4 }]
""" % ("x" * 201)


def test_the_packaged_library_is_complete_and_valid() -> None:
    library, problems = load(None)
    assert problems == []
    assert {
        "box-breathing",
        "4-7-8",
        "paced-breathing",
        "grounding",
        "body-scan",
        "muscle-relaxation",
        "breathing-space",
        "name-it",
        "urge-surfing",
        "loving-kindness",
    } <= set(library)
    for practice in library.values():
        assert 0 < len(practice.text) < 200 and practice.steps
    box = library["box-breathing"]
    assert [s.seconds for s in box.steps] == [4, 4, 4, 4]
    assert [s.seconds for s in library["4-7-8"].steps] == [4, 7, 8]
    paced = library["paced-breathing"]
    assert 60 / paced.cycle_seconds == pytest.approx(6)  # six breaths a minute
    tense_release = [s.seconds for s in library["muscle-relaxation"].steps]
    assert tense_release[:2] == [5, 10]


def test_library_problems_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    practices, problems = parse(BROKEN, path)
    assert problems == [
        f"{path}:1:3: practice[0]: missing required key 'text'",
        f"{path}:5:29: practice[0].steps[0].seconds: a step lasts more than 0 and at most 600 "
        "seconds, got 0",
        f"{path}:10:6: practice[1].id: duplicate practice id 'slow' (first used by practice[0])",
        f"{path}:18:8: practice[2].text: the notification text is 201 characters; keep it under "
        "200 so it fits a notification",
    ]
    assert practices == []


def test_the_persons_practices_override_and_add(tmp_path: Path) -> None:
    folder = tmp_path / "practices"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        '[[practice]]\nid = "box-breathing"\nname = "My box"\ntext = "Mine."\n'
        'steps = [{ say = "In", seconds = 3 }]\n\n'
        '[[practice]]\nid = "halt"\nname = "HALT check"\ntext = "Hungry, angry, lonely, tired?"\n'
        'steps = [{ say = "Which one?", seconds = 10 }]\n'
    )
    library, problems = load(folder)
    assert problems == []
    assert library["box-breathing"].name == "My box" and "halt" in library


def test_config_check_reports_practice_files_and_options(env: Env) -> None:
    (env.config_dir / "practices").mkdir(parents=True)
    (env.config_dir / "practices" / "bad.toml").write_text(
        '[[practice]]\nid = "x"\nname = "X"\nsteps = [{ say = "In", seconds = 4 }]\n'
    )
    env.write_config(CONFIG.replace('practice = "box-breathing"', 'practice = "box-breath"'))
    result = env.cli("config", "check")
    assert result.rc == 1
    assert result.out.splitlines() == [
        f"{env.config_file}:21:12: nudge[1].options.practice: unknown practice 'box-breath'; "
        "practices: box-breathing, 4-7-8, paced-breathing, grounding, body-scan, "
        "muscle-relaxation, breathing-space, name-it, urge-surfing, loving-kindness",
        f"{env.config_dir / 'practices' / 'bad.toml'}:1:3: practice[0]: missing required key "
        "'text'",
    ]


def test_nudges_name_a_practice_and_rotate_without_repeats(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    seen = []
    for _ in range(8):
        message = env.ok("trigger", "calm", "--json").json()["message"]
        seen.append(message["body"].split(".")[0])
        assert message["command"].startswith("habitd breathe ")
        assert [b["title"] for b in message["buttons"]] == ["Done", "Snooze", "Skip"]
    for n in range(3, len(seen)):
        assert seen[n] not in seen[n - 3 : n]  # never one of the last three
    assert len(set(seen)) >= 4
    pinned = env.ok("trigger", "box", "--json").json()["message"]
    assert pinned["body"].startswith("Box breathing. Breathe in for 4")


def test_practices_listing(env: Env) -> None:
    env.write_config(CONFIG + '\n[plugins.mindfulness]\ndisabled = ["loving-kindness"]\n')
    rows = {r["id"]: r for r in env.ok("practices", "--json").json()}
    assert rows["loving-kindness"]["enabled"] is False and rows["grounding"]["enabled"] is True
    assert "not rotated" in env.ok("practices").out


def _events(env: Env) -> list[dict[str, object]]:
    return [e for e in env.history() if e["event"] == "practiced"]


def test_a_guided_session_in_a_pipe(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    result = env.ok("breathe", "4-7-8", "--cycles", "1", "--speed", "50", "--habit", "meditate")
    assert result.out.splitlines()[1:4] == [
        "[0:00] Breathe in quietly through your nose (4s)",
        "[0:04] Hold (7s)",
        "[0:11] Breathe out through your mouth, whoosh (8s)",
    ]
    assert "Well done: 19 seconds of 4-7-8 breathing." in result.out
    assert "whoosh. 1 round." in result.out and "Four rounds" not in result.out
    [event] = _events(env)
    assert event["detail"] == {
        "practice": "4-7-8",
        "minutes": 0.3,
        "seconds": 19,
        "completed": True,
    }
    marks = sqlite3.connect(env.db).execute("SELECT habit, state FROM checks").fetchall()
    assert marks == [("meditate", "done")]


def test_a_guided_session_in_a_terminal_shows_a_live_line(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    child = env.spawn("breathe", "box-breathing", "--cycles", "1", "--speed", "8")
    child.expect("Breathe in through your nose")
    child.expect("█")  # the breathing bar fills
    child.expect(r"left\)")
    child.expect("Well done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _events(env)[0]["detail"]["completed"] is True


def test_ctrl_c_ends_cleanly_and_still_records(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    child = env.spawn("breathe", "paced-breathing", "--minutes", "2")
    child.expect("Breathe in, slowly")
    child.expect("1:58 left")  # two seconds into the practice
    child.kill(signal.SIGINT)
    child.expect("Stopped after")
    child.expect("That still counts")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    [event] = _events(env)
    detail = event["detail"]
    assert isinstance(detail, dict) and detail["completed"] is False
    assert 0 < int(detail["seconds"]) < 30


def test_urge_surfing_records_the_intensity_series(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    result = env.cli("surf", "--minutes", "10", "--speed", "300", stdin="8\n6\n3\n")
    assert result.rc == 0, result.err
    assert "The urge went from 8 to 3. It passed without you acting on it." in result.out
    [event] = _events(env)
    assert event["detail"]["intensities"] == [[0.0, 8], [5.0, 6], [10.0, 3]]
    rows = (
        sqlite3.connect(env.db)
        .execute("SELECT kind, craving, json_extract(extra, '$.ratings') FROM entries")
        .fetchall()
    )
    assert rows == [("urge", 8, "[[0.0,8],[5.0,6],[10.0,3]]")]  # one urge, every rating
    assert "Reach" not in result.out  # it passed: no crisis text


@pytest.mark.clock
def test_two_surfs_are_two_urges_and_one_that_ends_high_gets_help(env: Env) -> None:
    env.write_config(CONFIG)
    env.start_daemon()
    assert env.cli("surf", "--minutes", "5", "--speed", "300", stdin="6\n3\n").rc == 0
    high = env.cli("surf", "--minutes", "5", "--speed", "300", stdin="9\n9\n")
    assert high.rc == 0, high.err
    assert "The urge is still here. That's all right: you stayed with it." in high.out
    assert "You don't have to ride the rest of it alone" in high.out
    assert "emergency number" in high.out.splitlines()[-1]  # the crisis line, last
    report = env.ok("report", "--days", "7", "--json").json()
    assert report["by_kind"] == {"urge": 2} and report["craving"]["count"] == 2
    assert report["surfed"] == [{"start": 6, "end": 3}, {"start": 9, "end": 9}]


def test_breathe_bad_input(env: Env) -> None:
    env.write_config(CONFIG)
    result = env.cli("breathe", "nope")
    assert result.rc == 1 and "no practice 'nope'; practices: box-breathing" in result.err
    assert env.cli("breathe", "--cycles", "0").rc == 2
    surf = env.cli("surf", "--minutes", "5", "--speed", "300", stdin="11\n4\n2\n")
    assert "A whole number from 0 to 10: how strong is it right now?" in surf.out
    wait_for(lambda: True)


def test_a_word_for_seconds_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    text = (
        '[[practice]]\nid = "x"\nname = "X"\ntext = "X."\n'
        'steps = [{ say = "In", seconds = "ten" }]\n'
    )
    _, problems = parse(text, path)
    assert len(problems) == 1 and "seconds" in problems[0] and "got 0" not in problems[0]
