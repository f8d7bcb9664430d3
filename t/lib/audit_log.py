"""Reading the module's audit lines (README: Audit log) out of an error log.

    auth_backend: event=E reason=R client=A user="U" backend=B k=v detail="D"

A bare value is [A-Za-z0-9._:/@+-%]*, a quoted one "…" without '"' and '=';
both are percent-decoded here.
"""

import re
from urllib.parse import unquote

BARE = r'[A-Za-z0-9._:/@+%-]*'
QUOTED = r'"[^"=]*"'
FIELD = r'(?P<key>[a-z_]+)=(?P<value>%s|%s)' % (QUOTED, BARE)
# a whole line: httpd's prefix (the source file appears at LogLevel debug
# and above; an HTTP/2 stream's lines say [remote ...] where HTTP/1.1's say
# [client ...]), the message, and httpd's ", referer: ..." suffix if any
LINE = re.compile(r'^\[[^\]]*\] \[auth_backend:(?P<level>\w+)\] '
                  r'\[pid (?P<pid>\d+)(?::tid \d+)?\] (?:\S+\(\d+\): )?'
                  r'(?:\[(?:client|remote) [^\]]+\] )?'
                  r'auth_backend: (?P<fields>event=%s(?: [a-z_]+=(?:%s|%s))*)'
                  r'(?:$|, referer: )' % (BARE, QUOTED, BARE))

ORDER = ["event", "reason", "client", "user", "backend"]


def parse_fields(text):
    fields = {}
    for m in re.finditer(FIELD, text):
        v = m.group("value")
        if v.startswith('"'):
            v = v[1:-1]
        assert m.group("key") not in fields, "field given twice: " + text
        fields[m.group("key")] = unquote(v)
    return fields


def events(log):
    """The audit lines of LOG: dicts of their fields, plus _pid, _level
    and _line.  Only the module's own lines count: others may carry the
    same text in a client's Referer."""
    found = []
    for line in log.splitlines():
        if "[auth_backend:" not in line or " auth_backend: event=" not in line:
            continue
        m = LINE.match(line)
        assert m, "an audit line out of format: " + line
        e = parse_fields(m.group("fields"))
        keys = list(e)
        fixed = [k for k in keys if k in ORDER]
        assert fixed == [k for k in ORDER if k in fixed], line
        if "detail" in e:
            assert keys[-1] == "detail", line
        e["_pid"] = m.group("pid")
        e["_level"] = m.group("level")
        e["_line"] = line
        found.append(e)
    return found


def select(found, **want):
    return [e for e in found
            if all(e.get(k) == v for k, v in want.items())]
