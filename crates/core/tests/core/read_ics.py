"""Reads a calendar file with the `icalendar` library (as calendar apps'
importers do) and prints its events as JSON for tests/core/calendar.rs:
a file it cannot parse fails here, not in a user's calendar."""

import datetime
import json
import sys

import icalendar


def when(value):
    at = value.dt
    if isinstance(at, datetime.datetime):
        return {"utc": at.astimezone(datetime.timezone.utc).isoformat()}
    return {"date": at.isoformat()}


def event(e):
    alarms = [
        {"action": str(a.get("ACTION")), "trigger_seconds": a.decoded("TRIGGER").total_seconds()}
        for a in e.walk("VALARM")
    ]
    rrule = e.get("RRULE")
    return {
        "uid": str(e.get("UID")),
        "summary": str(e.get("SUMMARY")),
        "description": str(e.get("DESCRIPTION", "")),
        "start": when(e.get("DTSTART")),
        "stamp": when(e.get("DTSTAMP")),
        "rrule": rrule.to_ical().decode() if rrule else None,
        "alarms": alarms,
    }


with open(sys.argv[1], "rb") as f:
    calendar = icalendar.Calendar.from_ical(f.read())
# The parser is lenient and keeps what it could not read as errors: any is a failure.
problems = [(c.name, c.errors) for c in calendar.walk() if c.errors]
if problems:
    sys.exit(f"the calendar has properties icalendar could not read: {problems}")
print(json.dumps({"version": str(calendar.get("VERSION")), "events": [event(e) for e in calendar.walk("VEVENT")]}))
