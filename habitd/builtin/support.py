"""Support: the people who help, gentle reminders to reach out, and a fast, kind escalation
when cravings run high. Settings live in the top-level ``[support]`` table.

- The ``support`` nudge kind suggests one person (least recently reached first) with how to
  reach them; it stays quiet while someone was reached within ``check_every``.
- A craving at or above ``escalate_at``, a lapse, or three strong painful feelings within a
  day bring an urgent notification: a fitting person, urge surfing, the crisis line. At most
  one an hour; not during a pause you set, unless the craving is 10.
- Appointments (``[[support.appointment]]``) are announced ``remind_before``; a missed one
  is never nagged about.

Names and numbers are personal: messages carrying them are marked private, so no log
holds them, not even at debug level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from habitd.plugin import (
    EARLIEST,
    Action,
    Button,
    Config,
    Entry,
    InvalidInput,
    Job,
    Message,
    NotFound,
    Nudge,
    PluginContext,
    Problem,
    TableReader,
    Verdict,
    elapsed,
    hookimpl,
    parse_duration,
    parse_schedule,
)

NAME = "support"
ROLES = ("friend", "family", "sponsor", "therapist", "group", "other")
SITUATIONS = ("craving", "lapse", "lonely", "angry", "sad", "anxious", "any")
NEGATIVE = (
    "anxious",
    "sad",
    "angry",
    "lonely",
    "ashamed",
    "overwhelmed",
    "hopeless",
    "afraid",
    "restless",
)
ESCALATION_GAP = timedelta(hours=1)
"""At most one urgent message per kind of moment in this time, unless a craving is stronger
than the one that last brought help (a 10 always does)."""
FRESH = timedelta(minutes=30)
"""Only a moment this recent escalates: an urge logged hours ago (written while the daemon
was down and reacted to when it starts) or a back-dated lapse is history, not a crisis."""


@dataclass(frozen=True)
class Contact:
    """Someone to reach."""

    name: str
    role: str
    reach: str
    prefer_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The ``[support]`` table, read."""

    check_every: timedelta = timedelta(days=4)
    escalate_at: int = 7
    crisis_line: str | None = None
    """``[support] crisis_line``; unset: the line for the region (:mod:`habitd.helplines`)."""
    contacts: tuple[Contact, ...] = ()
    appointments: tuple[dict[str, Any], ...] = ()


def read_support(table: Mapping[str, Any], problems: list[Problem]) -> Settings:
    """Validate ``[support]``, collecting every problem with its key path."""
    read = TableReader(table, ("support",), problems)
    read.check_keys(
        ("check_every", "escalate_at", "crisis_line", "region", "contact", "appointment")
    )
    region = read.get("region", str, "")
    if region and not (len(region) == 2 and region.isalpha()):
        read.problem("region", f"expected a two-letter country code like US or GB, got {region!r}")
    escalate = read.get("escalate_at", int, 7)
    if not 1 <= escalate <= 10:
        read.problem("escalate_at", f"expected 1 to 10, got {escalate}")
    contacts = []
    names: set[str] = set()
    for index, raw in enumerate(read.get("contact", list, [])):
        entry = TableReader(
            raw if isinstance(raw, dict) else {}, ("support", "contact", index), problems
        )
        entry.check_keys(("name", "role", "reach", "prefer_for"))
        name = entry.get("name", str, "", required=True)
        role = entry.get("role", str, "other")
        if role not in ROLES:
            entry.problem("role", f"expected one of {', '.join(ROLES)}, got {role!r}")
        prefer = entry.get("prefer_for", list, [])
        for situation in prefer:
            if situation not in SITUATIONS:
                entry.problem(
                    "prefer_for", f"unknown situation {situation!r}; use {', '.join(SITUATIONS)}"
                )
        if name.lower() in names:
            entry.problem("name", f"{name!r} is listed twice")
        names.add(name.lower())
        contacts.append(
            Contact(name, role, entry.get("reach", str, "", required=True), tuple(prefer))
        )
    appointments = []
    for index, raw in enumerate(read.get("appointment", list, [])):
        path = ("support", "appointment", index)
        item = TableReader(raw if isinstance(raw, dict) else {}, path, problems)
        item.check_keys(("name", "remind_before", "at", "days", "cron", "date"))
        name = item.get("name", str, "", required=True)
        before = item.get("remind_before", str, timedelta(hours=1), parse_duration)
        when = {
            k: v
            for k, v in (raw if isinstance(raw, dict) else {}).items()
            if k in ("at", "days", "cron", "date")
        }
        try:
            schedule = parse_schedule(when)
        except ValueError as exc:
            problems.append(Problem(path, f"{exc}"))
            continue
        appointments.append(
            {
                "name": name,
                "remind_before": before,
                "schedule": schedule,
                "id": f"appointment-{index}",
            }
        )
    return Settings(
        check_every=read.get("check_every", str, timedelta(days=4), parse_duration),
        escalate_at=escalate,
        crisis_line=read.get("crisis_line", str, None),
        contacts=tuple(contacts),
        appointments=tuple(appointments),
    )


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "support"`` (a reach-out nudge)."""
    return [NAME]


@hookimpl
def habitd_validate_config(config: Config, settings: Mapping[str, Any]) -> Sequence[Problem]:
    """The ``[support]`` table."""
    problems: list[Problem] = []
    read_support(settings, problems)
    return problems


@hookimpl
def habitd_configure(settings: Mapping[str, Any], ctx: PluginContext) -> None:
    """Take the validated ``[support]`` table into use."""
    ctx.cache["settings"] = read_support(settings, [])


def _settings(ctx: PluginContext) -> Settings:
    """The ``[support]`` table as read at the last configure."""
    found = ctx.cache.get("settings")
    if not isinstance(found, Settings):
        found = ctx.cache["settings"] = read_support(ctx.settings, [])
    return found


# --- who to suggest ---------------------------------------------------------------------------


def pick(ctx: PluginContext, situation: str | None = None) -> Contact | None:
    """The best person for ``situation`` (those good for it first, then the one reached
    least recently: the ranking of ``habitd help-now``); with no situation, simply the one
    reached least recently."""
    ranked = ctx.help_now(situation or "")["contacts"]
    by_name = {c.name: c for c in _settings(ctx).contacts}
    return next((by_name[c["name"]] for c in ranked if c["name"] in by_name), None)


def _since_last_contact(ctx: PluginContext) -> timedelta | None:
    last = ctx.last_contacts()
    return elapsed(ctx.now(), max(last.values())) if last else None


@hookimpl
def habitd_before_send(nudge: Nudge, ctx: PluginContext) -> Verdict | None:
    """A reach-out nudge waits while someone was reached within ``check_every``."""
    if nudge.kind != NAME:
        return None
    since = _since_last_contact(ctx)
    if since is not None and since < _settings(ctx).check_every:
        return Verdict.drop("someone was reached recently")
    return None


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """Suggest one person and how to reach them; "I reached out" / "Later"."""
    if nudge.kind != NAME:
        return None
    contact = pick(ctx)
    ctx.state.set("suggested", contact.name if contact else None)
    if contact is None:
        return Message(
            title=nudge.title or "Someone to talk to?",
            body="Isolation feeds dependency. Add people you trust to [support] in your config "
            "(habitd config edit), or look up a local group.",
            command="habitd config edit",
        )
    return Message(
        title=nudge.title or f"How about a word with {contact.name}?",
        body=f"{contact.name} ({contact.role}): {contact.reach}. Even a short message "
        "keeps you connected.",
        buttons=(Button("reached", "I reached out"), Button("snoozed", "Later")),
        command=f"habitd reached {contact.name.lower()}",
        private=True,
    )


@hookimpl
def habitd_on_action(action: Action, ctx: PluginContext) -> None:
    """ "I reached out" logs the contact; a lapse may escalate."""
    if action.action == "reached":
        # keyed by the press: repeated after a crash, the reaction writes nothing twice
        once = f"support:{action.change}" if action.change is not None else None
        name = ctx.state.get("suggested")
        if name:
            ctx.add_contact(name, ctx.now(), how="from a nudge", key=once and f"{once}:contact")
        if action.habit:  # the nudge's habit ("reach-out") counts as done
            ctx.record_action(
                Action("done", nudge=action.nudge, habit=action.habit, source="support"),
                key=once and f"{once}:done",
            )
    elif action.action == "lapse" and action.day in (None, ctx.today()) and _fresh(ctx, action.ts):
        escalate(ctx, "lapse", None)


@hookimpl
def habitd_on_entry(entry: Entry, ctx: PluginContext) -> None:
    """A strong craving, or three strong painful feelings in a day, may escalate (only
    while the entry is about now)."""
    if not _fresh(ctx, entry.ts):
        return
    fields = entry.fields
    high = _settings(ctx).escalate_at
    if entry.kind in ("urge", "craving") and fields.get("craving", 0) >= high:
        if entry.kind == "craving" and fields.get("minute", 0) > 0:
            return  # a later rating of an urge-surfing session: already being held
        escalate(ctx, "craving", int(fields["craving"]))
    elif (
        entry.kind in ("journal", "thought")
        and fields.get("emotion") in NEGATIVE
        and int(fields.get("intensity", fields.get("strength", 0) // 10)) >= high
    ):
        since = ctx.now() - timedelta(days=1)
        strong = [
            e
            for e in ctx.entries(since=since)
            if e.fields.get("emotion") in NEGATIVE
            and int(e.fields.get("intensity", e.fields.get("strength", 0) // 10)) >= high
        ]
        if len(strong) >= 3:
            escalate(ctx, "feelings", None)


def _fresh(ctx: PluginContext, moment: datetime | None) -> bool:
    """Was ``moment`` (when something was written) recent enough to be about now?"""
    # abs: a moment hours "ahead" of now means the clocks disagree; it is still fresh
    return moment is None or abs(elapsed(ctx.now(), moment)) <= FRESH


def escalate(ctx: PluginContext, why: str, intensity: int | None) -> bool:
    """An urgent, kind message with the person best for this moment, urge surfing and the
    crisis line. At most one per kind of moment an hour, except that a craving stronger
    than the one that last brought help (and any 10) always brings it; not during a pause
    the person set, unless the craving is 10. Recorded in history with its reason."""
    state = ctx.state
    now = ctx.now()
    last = state.get(f"last_escalation:{why}")
    stronger = intensity is not None and intensity > int(state.get("last_craving", 0) or 0)
    recent = last is not None and now - datetime.fromisoformat(last) < ESCALATION_GAP
    if recent and intensity != 10 and not stronger:
        return False
    if ctx.paused_until() is not None and intensity != 10:
        return False
    situation = {"craving": "craving", "lapse": "lapse", "feelings": "lonely"}[why]
    contact = pick(ctx, situation)
    opening = {
        "craving": f"That is a strong urge ({intensity}/10). It will peak and pass.",
        "lapse": "A slip is a moment to reach out, not to be alone with it.",
        "feelings": "It has been a heavy day. You do not have to carry it alone.",
    }[why]
    person = f" Reach {contact.name}: {contact.reach}." if contact else ""
    line = ctx.crisis_line()
    ctx.notify(
        Message(
            title="You don't have to ride this alone",
            body=f"{opening}{person} Or try `habitd surf`. {line}",
            buttons=(Button("reached", "I reached out"), Button("clicked", "Later")),
            urgency="critical",
            command="habitd help-now",
            private=True,
        ),
        about=why,
        event="escalated",
        detail={"reason": why, "craving": intensity, "suggested": bool(contact)},
    )
    state.set(f"last_escalation:{why}", now.isoformat())
    if intensity is not None:
        state.set("last_craving", intensity)
    state.set("suggested", contact.name if contact else None)
    return True


@hookimpl
def habitd_jobs(ctx: PluginContext) -> Sequence[Job]:
    """A reminder ``remind_before`` each appointment."""

    def reminder(appointment: dict[str, Any]) -> Callable[[], None]:
        def remind() -> None:
            ctx.notify(
                Message(
                    title=f"Coming up: {appointment['name']}",
                    body=f"In {_human(appointment['remind_before'])}. Going is a gift to yourself.",
                    urgency="normal",
                ),
                about=appointment["id"],
                event="appointment",
            )

        return remind

    return [
        Job(
            a["id"],
            a["schedule"],
            reminder(a),
            offset=-a["remind_before"],
            shows=f"a reminder: {a['name']}",
        )
        for a in _settings(ctx).appointments
    ]


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


# --- what the CLI shows --------------------------------------------------------------------


def _find(ctx: PluginContext, name: str) -> Contact:
    for contact in _settings(ctx).contacts:
        if contact.name.lower() == name.strip().lower():
            return contact
    known = (
        ", ".join(c.name for c in _settings(ctx).contacts) or "none yet (add [[support.contact]])"
    )
    raise NotFound(f"no contact {name!r}; contacts: {known}")


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``support.contacts`` and ``support.reached`` (``help_now`` is the core's, so it answers
    at once with or without a daemon)."""

    def contacts() -> list[dict[str, Any]]:
        """Who, their role, how to reach them, when last reached."""
        last = ctx.last_contacts()
        now = ctx.now()
        return [
            {
                "name": c.name,
                "role": c.role,
                "reach": c.reach,
                "prefer_for": list(c.prefer_for),
                "last_reached": last[c.name].isoformat() if c.name in last else None,
                "days_since": (now - last[c.name]).days if c.name in last else None,
            }
            for c in _settings(ctx).contacts
        ]

    def reached(
        name: str,
        how: str | None = None,
        note: str | None = None,
        date: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Log that you reached someone (names match case-insensitively); once per ``key``."""
        contact = _find(ctx, name)
        if how is not None and how not in ("call", "text", "meet", "other"):
            raise InvalidInput(f"how is call, text, meet or other, got {how!r}")
        when = ctx.now()
        if date is not None:
            try:
                day = datetime.fromisoformat(date)
            except ValueError:
                raise InvalidInput(f"expected a date as YYYY-MM-DD, got {date!r}") from None
            if day.date() < EARLIEST:
                raise InvalidInput(f"{date} is before {EARLIEST.year}")
            when = when.replace(year=day.year, month=day.month, day=day.day)
            if when > ctx.now().astimezone(UTC):
                raise InvalidInput(f"{date} is in the future")
        recorded = ctx.add_contact(contact.name, when, how, note, key=key)
        return {"name": contact.name, "ts": recorded.isoformat()}

    return {"contacts": contacts, "reached": reached}
