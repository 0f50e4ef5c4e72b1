"""tests/lib/jsonlog.py: rosterd's log lines (one JSON object a line) as
records, for the test programs that read its log."""

import json


def json_records(text):
    """The lines of text that are JSON objects, parsed; other lines are
    left out."""
    out = []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out
