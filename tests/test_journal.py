"""The journal: entries with flags and with prompts (in a real terminal), validation,
normalised names offered back, edit and delete, and journal nudges."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pexpect
import pytest

from habitd.testing import TEST_ZONE

from .conftest import Env, local_now

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"

[[nudge]]
id = "evening"
kind = "journal"
date = "2100-01-01 03:00"
"""


@pytest.fixture
def world(env: Env) -> Env:
    env.write_config(CONFIG)
    env.start_daemon()
    return env


def _rows(env: Env) -> list[tuple[object, ...]]:
    return (
        sqlite3.connect(env.db)
        .execute(
            "SELECT kind, emotion, intensity, trigger, craving, halt, note FROM entries ORDER BY id"
        )
        .fetchall()
    )


def test_entries_with_options_are_saved_before_the_answer(world: Env) -> None:
    result = world.ok(
        "journal",
        "--emotion",
        "  Anxious ",
        "--intensity",
        "6",
        "--trigger",
        "Work   Stress",
        "--note",
        "deadline",
        "--json",
    )
    assert result.json() == {"id": 1}
    assert _rows(world) == [("journal", "anxious", 6, "work stress", None, None, "deadline")]
    world.ok(
        "urge",
        "--intensity",
        "7",
        "--halt",
        "Tired, lonely",
        "--trigger",
        "work stress",
        "--coped",
        "called Sam",
        "--not-acted",
    )
    assert _rows(world)[1] == ("urge", None, None, "work stress", 7, "lonely,tired", None)
    [urge] = world.ok("entries", "--kind", "urge", "--json").json()
    assert urge["coped"] == "called Sam" and urge["acted"] is False


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("journal", "--intensity", "11"), 2, "11 is not in the range 0<=x<=10"),
        (
            ("urge", "--intensity", "5", "--halt", "sleepy"),
            1,
            "unknown HALT state 'sleepy'; use hungry, angry, lonely or tired",
        ),
        (("urge", "--trigger", "work"), 2, "give --intensity 0-10"),
        (("entries", "--kind", "dream"), 1, "unknown kind 'dream'; kinds: journal, urge"),
        (("entry", "delete", "99", "--yes"), 1, "no entry 99"),
        (("journal", "--note", "x" * 20_001), 1, "keep it under 20,000"),
    ],
)
def test_bad_input_is_a_clear_error(
    world: Env, args: tuple[str, ...], code: int, message: str
) -> None:
    result = world.cli(*args)
    assert result.rc == code and message in result.out + result.err
    assert _rows(world) == []


def test_prompts_offer_the_persons_own_words_first(world: Env) -> None:
    world.ok("journal", "--emotion", "Jittery", "--trigger", "Payday")
    child = world.spawn("journal")
    child.expect(r"How is your day, 1 \(awful\) to 5 \(great\)\?")
    child.sendline("4")
    child.expect(r"What are you feeling\? \(jittery, anxious, sad")
    child.sendline("Jittery")
    child.expect(r"How strongly, 0-10\?")
    child.sendline("4")
    child.expect(r"What set it off\? \(payday")
    child.sendline("payday")
    child.expect("Anything else")
    child.sendline("")
    child.expect("went well")
    child.sendline("finished the week")
    child.expect(r"Saved \(entry 2\)")
    child.expect(pexpect.EOF)
    assert _rows(world)[1] == ("journal", "jittery", 4, "payday", None, None, None)
    assert world.ok("entries", "--json").json()[1]["mood"] == 4
    assert world.ok("entries", "--json").json()[1]["gratitude"] == "finished the week"


def test_ctrl_c_saves_nothing_and_says_so(world: Env) -> None:
    child = world.spawn("urge")
    child.expect(r"How strong is the urge, 0-10\?")
    child.sendline("8")
    child.expect("What was happening")
    child.kill(signal.SIGINT)
    child.expect("Nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert _rows(world) == []


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon up", "daemon down"])
def test_a_typo_at_2am_costs_nothing(env: Env, daemon: bool) -> None:
    """The hard moment: an empty Enter, a word for a number, a misspelt HALT state. Each
    question asks again (or takes the close word), and one entry is saved with it all."""
    env.write_config(CONFIG)
    if daemon:
        env.start_daemon()
    child = env.spawn("urge")
    child.expect(r"How strong is the urge, 0-10\?")
    child.sendline("")
    child.expect("A number from 0 to 10, whatever it is")
    child.sendline("eleven")
    child.expect(r"A whole number from 0 to 10: how strong is it right now\?")
    child.sendline("9")
    child.expect("What was happening")
    child.sendline("alone at 2am, can't sleep")
    child.expect("Hungry, angry, lonely or tired")
    child.sendline("lonely, tierd")
    child.expect(r"\(taking 'tierd' as tired\)")
    child.expect("What helped")
    child.sendline("nothing yet")
    child.expect(r"Did you act on it\?")
    child.sendline("maybe")
    child.expect(r"y or n")
    child.sendline("n")
    child.expect("It is strong right now, and it will pass", timeout=10)  # help, at once
    child.expect(r"Saved \(entry 1\)")
    child.expect(pexpect.EOF)
    assert "Error" not in (child.before or "")
    assert _rows(env) == [
        ("urge", None, None, "alone at 2am, can't sleep", 9, "lonely,tired", None)
    ]
    assert env.ok("entries", "--json").json()[0]["acted"] is False


def test_a_paste_the_terminal_cut_is_never_taken_silently(world: Env) -> None:
    child = world.spawn("journal")
    child.expect(r"How is your day")
    child.sendline("")
    child.expect(r"What are you feeling\?")
    child.sendline("")
    child.expect("What set it off")
    child.sendline("")
    child.expect("Anything else")
    child.send("x" * 5200 + "\n")
    child.expect("at most 4,095 characters in one line", timeout=20)
    child.sendline("the end of it")
    child.expect("Enter alone to go on|went well")
    child.sendline("")
    child.expect("went well")
    child.sendline("")
    child.expect(r"Saved \(entry 1\)")
    child.expect(pexpect.EOF)
    note = world.ok("entries", "--json").json()[0]["note"]
    assert note.startswith("x" * 4095) and note.endswith("\nthe end of it")


def test_a_thought_record(world: Env) -> None:
    answers = (
        "\n".join(
            [
                "Meeting ran late",
                "anxious",
                "80",
                "They think I'm useless",
                "Nobody replied to my idea",
                "Two people thanked me after",
                "They were busy, not judging",
                "40",
            ]
        )
        + "\n"
    )
    result = world.cli("thought", stdin=answers)
    assert result.rc == 0, result.err
    assert "The feeling went from 80% to 40%. That is the work, done." in result.out
    [record] = world.ok("entries", "--kind", "thought", "--json").json()
    assert record["situation"] == "Meeting ran late" and record["emotion"] == "anxious"
    assert (record["strength"], record["rerated"]) == (80, 40)
    assert record["balanced"] == "They were busy, not judging"


@pytest.mark.clock
def test_edit_and_delete(world: Env) -> None:
    world.ok("journal", "--emotion", "sad", "--intensity", "7")
    world.ok("entry", "edit", "1", "--intensity", "5", "--note", "after a walk")
    [entry] = world.ok("entries", "--json").json()
    assert (entry["emotion"], entry["intensity"], entry["note"]) == ("sad", 5, "after a walk")
    edited = world.cli("entry", "edit", "1", stdin="\n3\n\n\n\n")  # only the intensity changes
    assert edited.rc == 0, edited.err
    assert world.ok("entries", "--json").json()[0]["intensity"] == 3
    world.ok("entry", "edit", "1", "--when", "yesterday 08:15")  # its time, same id
    moved = world.ok("entries", "--json").json()[0]
    moved_at = datetime.fromisoformat(moved["ts"]).astimezone(ZoneInfo(TEST_ZONE))  # stored UTC
    assert moved["id"] == 1 and f"{moved_at:%H:%M}" == "08:15"
    assert [e["event"] for e in world.history()][-1] == "edited"
    refused = world.cli("entry", "delete", "1", stdin="n\n")
    assert refused.rc == 0 and "Kept." in refused.out
    assert len(world.ok("entries", "--json").json()) == 1
    assert "entry 1 deleted" in world.ok("entry", "delete", "1", "--yes").out
    assert world.ok("entries", "--json").json() == []


@pytest.mark.clock
def test_entries_since(world: Env) -> None:
    world.ok("journal", "--note", "today")
    assert len(world.ok("entries", "--since", "1h", "--json").json()) == 1
    assert world.ok("entries", "--since", "2999-01-01", "--json").json() == []
    assert "today" in world.ok("entries").out


def test_journal_nudges_rotate_and_ask_after_a_lapse(world: Env) -> None:
    titles = [world.ok("trigger", "evening", "--json").json()["message"]["title"] for _ in range(3)]
    assert titles == ["How did today feel?", "Three good things", "What did you feel today?"]
    message = world.ok("trigger", "evening", "--json").json()["message"]
    assert message["reply"] == "Write" and message["command"] == "habitd journal"
    world.ok("lapse", "kratom-free")
    after = world.ok("trigger", "evening", "--json").json()["message"]
    assert after["title"] == "About the slip"
    assert "No judgement" in after["body"]
    again = world.ok("trigger", "evening", "--json").json()["message"]
    assert again["title"] != "About the slip"  # asked once


@pytest.mark.clock
@pytest.mark.parametrize("daemon", [True, False], ids=["daemon up", "daemon down"])
def test_an_entry_written_when_it_happened(env: Env, daemon: bool) -> None:
    env.write_config(CONFIG)
    if daemon:
        env.start_daemon()
    env.ok("urge", "--intensity", "4", "--when", "2h ago")
    env.ok("journal", "--note", "late one", "--when", "yesterday 23:10")
    rows = {row["kind"]: row for row in env.ok("entries", "--json").json()}
    urge_ts = datetime.fromisoformat(rows["urge"]["ts"])
    assert abs(datetime.now(UTC) - timedelta(hours=2) - urge_ts) < timedelta(minutes=2)
    journal_ts = datetime.fromisoformat(rows["journal"]["ts"]).astimezone(ZoneInfo(TEST_ZONE))
    assert (journal_ts.hour, journal_ts.minute) == (23, 10)  # as said, in the person's zone
    future = env.cli("urge", "--intensity", "4", "--when", "in 2h")
    assert future.rc == 1 and "expected when it happened" in future.err
    ahead = (local_now() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    later = env.cli("urge", "--intensity", "4", "--when", ahead)
    assert later.rc == 1 and "has not happened yet" in later.err


def test_find_an_entry_by_its_words(world: Env) -> None:
    world.ok("journal", "--emotion", "lonely", "--intensity", "7", "--note", "Nobody called back")
    world.ok("urge", "--intensity", "8", "--trigger", "payday", "--coped", "Phoned my sister")
    world.ok("journal", "--emotion", "calm", "--note", "a quiet walk by the river")
    found = world.ok("entries", "--search", "lonel", "--json").json()
    assert [e["emotion"] for e in found] == ["lonely"]
    assert [e["kind"] for e in world.ok("entries", "--search", "sister", "--json").json()] == [
        "urge"
    ]  # what helped is searched too
    assert world.ok("entries", "--search", "nothing-like-it").out.strip() == "nothing matches"
    assert len(world.ok("entries", "--min-intensity", "7", "--json").json()) == 2
    assert len(world.ok("entries", "--emotion", "CALM", "--json").json()) == 1
    world.ok("entry", "edit", "3", "--note", "a long walk")
    assert world.ok("entries", "--search", "river", "--json").json() == []  # kept up to date
    assert world.cli("entries", "--search", '"unbalanced (quotes').rc == 0


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon up", "daemon down"])
def test_a_deleted_entry_leaves_no_word_behind(env: Env, daemon: bool) -> None:
    """After ``entry delete``, words from the entry's note, trigger and what helped are in
    no file of the data folder (daemon stopped, bytes searched); the command says where
    copies remain (the automatic backups) and until when."""
    env.write_config(CONFIG)
    if daemon:
        env.start_daemon()
    env.ok("journal", "--note", "kept words stay")
    env.ok(
        "urge",
        "--intensity",
        "6",
        "--trigger",
        "quokkatrigger",
        "--coped",
        "walked with zebracoping",
        "--note",
        "the marmotnote evening",
    )
    gone = [e["id"] for e in env.ok("entries", "--json").json() if e["kind"] == "urge"]
    said = env.ok("entry", "delete", str(gone[0]), "--yes").out
    assert "deleted for good" in said and "within 7 days" in said and "backups" in said
    assert [e["note"] for e in env.ok("entries", "--json").json()] == ["kept words stay"]
    assert env.ok("entries", "--search", "marmotnote", "--json").json() == []
    for running in env.daemons:
        running.stop()
    data = b"".join(path.read_bytes() for path in env.db.parent.iterdir() if path.is_file())
    assert b"kept words stay" in data  # the search reads real bytes
    for word in (b"quokkatrigger", b"zebracoping", b"marmotnote"):
        assert word not in data, word
