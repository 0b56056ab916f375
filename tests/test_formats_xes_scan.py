"""The byte scanner of foreign XES logs (``xes_scan``) against the XML tree reader, on generated logs.

Each log is written the way some tool might write one: attributes in any
order, either quote, any spacing and line ends, entities and character
references, nested lists and containers, comments, CDATA and processing
instructions, namespace prefixes, several traces, missing lifecycle. Some are
then broken. For each, the table the scan builds must equal the tree's, and
the import (scan first) must give what the tree reader alone gives: the same
events, or the same error.
"""

from __future__ import annotations

import random

import pytest

from annotate.errors import FormatError
from annotate.formats import columns as colwise
from annotate.formats import xes, xes_scan, xes_tree, xmlsafe
from annotate.formats.log_table import events_from_table
from annotate.formats.problems import Problems
from annotate.testing.events import make_recording

pytestmark = pytest.mark.skipif(colwise.arrow() is None, reason="pyarrow is not installed")

TITLE = "Checkout & Pay"
TEXTS = ["Greeting", "Hand-off", "Abandon", "Zoë's café", 'say "hi"', "a<b>c", "x & y", "tab\there",
         "two\nlines", "cr\r\nlf", "日本語", "  spaced  ", "", "a > b", "&amp; literal"]
KEYS = ["concept:name", "time:timestamp", "lifecycle:transition", "org:resource", "kind", "stage", "note",
        "cx:case_start", "cx:recording_id", "identity:id", "emotion", "label"]


def _escape(text: str, quote: str, rnd: random.Random) -> str:
    """Return ``text`` for an attribute in ``quote``s, written one of the ways XML allows."""
    out = []
    for ch in text:
        if ch == "&":
            out.append(rnd.choice(["&amp;", "&#38;", "&#x26;"]))
        elif ch == "<":
            out.append(rnd.choice(["&lt;", "&#60;"]))
        elif ch == quote:
            out.append("&quot;" if ch == '"' else "&apos;")
        elif ch in "\t\n\r":
            out.append(rnd.choice([f"&#{ord(ch)};", ch]))  # as written, expat reads a space
        elif ch == ">" or (ord(ch) > 127 and rnd.random() < 0.5):
            out.append(rnd.choice([ch, f"&#{ord(ch)};", f"&#x{ord(ch):X};"]))
        else:
            out.append(ch)
    return "".join(out)


class Writer:
    """Writes one random foreign-style XES log."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        rnd = self.rnd
        self.prefix = rnd.choice(["", "", "xes:"])
        self.space = rnd.choice(["\n", "\n\t", "\r\n  ", "", " "])
        self.quotes = rnd.choice(['"', "'", "mixed"])
        self.order = rnd.choice(["key first", "value first", "mixed"])
        self.odd = rnd.random() < 0.3  # comments, CDATA, processing instructions here and there

    def tag(self, name: str) -> str:
        return self.prefix + name

    def sep(self) -> str:
        return self.space + self.rnd.choice(["", "", "\t"])

    def extra(self) -> str:
        if not self.odd or self.rnd.random() < 0.7:
            return ""
        return self.rnd.choice(["<!-- a comment <event> -->", "<![CDATA[ <event></event> & ]]>", "<?tool x?>",
                                "<!---->"]) + self.sep()

    def attribute(self, kind: str, key: str, value: str | None, children: str = "") -> str:
        rnd = self.rnd
        quote = rnd.choice(['"', "'"]) if self.quotes == "mixed" else self.quotes
        eq = rnd.choice(["=", "=", " = ", "=\n"])
        parts = [f"key{eq}{quote}{_escape(key, quote, rnd)}{quote}"]
        if value is not None:
            parts.append(f"value{eq}{quote}{_escape(value, quote, rnd)}{quote}")
        if self.order == "value first" or (self.order == "mixed" and rnd.random() < 0.5):
            parts.reverse()
        gap = rnd.choice([" ", " ", "\n\t\t", "  "])
        head = f"<{self.tag(kind)}{gap}{gap.join(parts)}"
        if children or rnd.random() < 0.15:
            return f"{head}>{children}</{self.tag(kind)}>"
        return head + rnd.choice(["/>", " />", "\n/>"])

    def value_for(self, key: str, t: int) -> tuple[str, str]:
        rnd = self.rnd
        if key == "time:timestamp":
            zone = rnd.choice(["Z", "+00:00", "+02:00"])
            seconds = format(t * 0.7, rnd.choice(["02.0f", "06.3f"]))
            return "date", f"2024-05-01T{10 + (zone == '+02:00') * 2}:00:{seconds}{zone}"
        if key == "lifecycle:transition":
            return "string", rnd.choice(["complete"] * 8 + ["start", "COMPLETE"])
        if key == "kind":
            return "string", rnd.choice(["MOT", "INT", "DEC"])
        if key == "emotion":
            return "int", str(rnd.choice([-2, 0, 2]))
        if key == "cx:case_start":
            return "date", "2024-05-01T10:00:00Z"
        if key == "cx:recording_id":
            return "int", str(rnd.choice([7, 8]))
        if key == "identity:id":
            return "id", f"{rnd.randrange(4):032x}"
        return "string", rnd.choice(TEXTS)

    def nested(self) -> str:
        rnd = self.rnd
        inner = self.attribute("string", "inner", rnd.choice(TEXTS))
        if rnd.random() < 0.5:
            return self.attribute("list", "items", None, f"<{self.tag('values')}>{inner}</{self.tag('values')}>")
        return self.attribute("container", "box", None, inner + self.attribute("float", "x", "1.5"))

    def event(self, t: int) -> str:
        rnd = self.rnd
        if rnd.random() < 0.03:
            return f"<{self.tag('event')}/>"
        keys = ["concept:name", "time:timestamp", "kind"]
        keys += rnd.sample(["lifecycle:transition", "org:resource", "stage", "note", "emotion", "label"], 3)
        if rnd.random() < 0.1:
            keys.append(rnd.choice(keys))  # a key twice: the later wins
        rnd.shuffle(keys)
        parts = [self.attribute(*self.value_for(k, t)[:1], k, self.value_for(k, t)[1]) for k in keys]
        if rnd.random() < 0.2:
            parts.insert(rnd.randrange(len(parts) + 1), self.nested())
        if rnd.random() < 0.1:
            parts.append(self.attribute("boolean", "flag", rnd.choice(["true", "false"])))
        sep = self.sep()
        return f"<{self.tag('event')}>{sep}" + sep.join(p + self.extra() for p in parts) + f"{sep}</{self.tag('event')}>"

    def trace(self, name: str | None, events: int) -> str:
        rnd = self.rnd
        head = [] if name is None else [self.attribute("string", "concept:name", name)]
        if rnd.random() < 0.3:
            head.append(self.attribute(*self.value_for("cx:case_start", 0)[:1], "cx:case_start",
                                       self.value_for("cx:case_start", 0)[1]))
        body = [self.event(t) for t in range(events)]
        if head and rnd.random() < 0.3:
            body.insert(rnd.randrange(len(body) + 1), head.pop())  # trace attributes after events
        sep = self.sep()
        return f"<{self.tag('trace')}>{sep}" + sep.join(p + self.extra() for p in head + body) + \
            f"{sep}</{self.tag('trace')}>"

    def log(self) -> bytes:
        rnd = self.rnd
        ns = 'xmlns="http://www.xes-standard.org/"' if not self.prefix else \
            'xmlns:xes="http://www.xes-standard.org/"'
        names = rnd.sample([TITLE, "Other", "Third", None], rnd.randint(1, 3))
        if TITLE not in names and len(names) > 1:
            names[0] = TITLE
        parts = [f'<{self.tag("extension")} name="Concept" prefix="concept" uri="http://www.xes-standard.org/'
                 f'concept.xesext"/>',
                 f'<{self.tag("global")} scope="event">{self.attribute("string", "concept:name", "x")}'
                 f'</{self.tag("global")}>',
                 self.attribute("string", "concept:name", "a log")]
        parts += [self.trace(n, rnd.randint(0, 12)) for n in names]  # up to 8.4 s: inside the recording
        sep = self.sep()
        decl = rnd.choice(['<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>', ""])
        text = (f"{decl}<!-- written by a tool -->\n<{self.tag('log')} xes.version='1849-2016' {ns}>{sep}"
                + sep.join(p + self.extra() for p in parts) + f"{sep}</{self.tag('log')}>\n")
        return text.encode("utf-8")


BREAKS = [
    lambda d, r: d.replace(b"</", b"<", 1),
    lambda d, r: d.replace(b"value=", b"value=value=", 1),
    lambda d, r: d.replace(b"&", b"&bogus;", 1) if b"&" in d else d + b"&",
    lambda d, r: d.replace(b"Greeting", b"Gr\x01eting", 1),
    lambda d, r: d.replace(b"Greeting", b"Gr\xffeting", 1),
    lambda d, r: d.replace(b"Greeting", b"Gr&#0;eting", 1),
    lambda d, r: d.replace(b"</event>", b"</evnt>", 1).replace(b"</xes:event>", b"</xes:evnt>", 1),
    lambda d, r: d[: len(d) * 2 // 3],
    lambda d, r: d.replace(b"<trace>", b'<!DOCTYPE x [<!ENTITY e "y">]><trace>', 1),
    lambda d, r: d.replace(b"key=", b"key='a' key=", 1),
    lambda d, r: d.replace(b"<event>", b"<event xmlns:q='urn:q'>", 1),
    lambda d, r: d.replace(b"<event>", b"<q:event>", 1).replace(b"</event>", b"</q:event>", 1),
]


def outcome(fn):
    try:
        return fn()
    except FormatError as exc:
        return f"FormatError: {exc}"


def tree_table(data: bytes):
    root = xmlsafe.parse_xml(data, Problems("x.xes"))
    traces = [(t, xes_tree._attrs(trace), xes_tree._kids(trace, "event"))
              for t, trace in enumerate(xes_tree._kids(root, "trace"), 1)]
    return xes_tree._table(traces)


def columns(table):
    out = [table.case.to_pylist(), table.activity.to_pylist(), table.lifecycle.to_pylist(),
           table.timestamp.to_pylist()]
    for key in [*KEYS, "event_id", "case_start", "recording_id", "flag", "items", "box", "inner", "x"]:
        found = table.field(key)
        out.append(None if found is None else found.to_pylist())
    return out


def test_scanned_logs_give_the_tree_readers_table_and_events():
    rec = make_recording(title=TITLE)
    scanned = imported = 0
    for seed in range(100):
        data = Writer(seed).log()
        rnd = random.Random(seed)
        if seed % 4 == 3:
            data = rnd.choice(BREAKS)(data, rnd)
        table = xes_scan.scan_table(data)
        if seed % 6 == 0:  # in blocks of a few pieces: elements open across blocks
            small = xes_scan.scan_table(data, block=rnd.choice([700, 1500]))
            assert (table is None) == (small is None), seed
            assert small is None or columns(small) == columns(table), seed
        if table is not None:
            scanned += 1
            assert columns(table) == columns(tree_table(data)), seed
        mapping = None if seed % 2 else {"Greeting": "MOT"}
        epoch = "first" if seed % 5 else None
        tree = outcome(lambda: xes_tree.read_tree(data, rec, mapping, None, "events.xes", epoch))
        # What xes_scan.read_scanned returns (None: the import has the tree reader read it).
        mine = None if table is None else events_from_table(table, rec, mapping, None, epoch, "events.xes")
        assert mine is None or mine == tree, seed
        imported += isinstance(mine, list)
    assert scanned > 70 and imported > 40  # most logs are read by the scan, and most import


def test_the_scan_refuses_what_it_does_not_read():
    good = Writer(1).log()
    assert xes_scan.scan_table(good) is not None
    for edit in (lambda d: d.replace(b"<log", b'<!DOCTYPE log [<!ENTITY e "y">]><log', 1),
                 lambda d: d.decode("utf-8").encode("utf-16"),
                 lambda d: d.replace(b"<trace>", b"<trace xmlns:q='urn:q'>", 1),
                 lambda d: d.replace(b"Greeting", b"Gr&#1;eting", 1).replace(b"Other", b"O&#1;ther", 1),
                 lambda d: d[:-8]):
        edited = edit(good)
        assert edited != good
        assert xes_scan.scan_table(edited) is None


def test_a_large_foreign_log_is_imported_by_the_scan():
    rec = make_recording(title=TITLE)
    events = "".join(
        f'\t\t<event>\n\t\t\t<string key="concept:name" value="Step {i % 7}" />\n'
        f'\t\t\t<date key="time:timestamp" value="2024-05-01T10:00:0{i % 9}.{i:03d}+00:00" />\n'
        f'\t\t\t<string key="actor" value="agent &amp; {i % 3}" />\n'
        f'\t\t\t<string key="kind" value="{("MOT", "INT", "DEC")[i % 3]}" />\n\t\t</event>\n' for i in range(1000))
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">'
            f'\n\t<trace>\n\t\t<string key="concept:name" value="{xmlsafe.attr(TITLE)}" />\n')
    data = f"{head}{events}\t</trace>\n</log>\n".encode("utf-8")
    assert len(data) >= xes.SCAN_FROM
    scanned = xes_scan.read_scanned(data, rec, None, None, "events.xes", "first")
    assert scanned is not None and len(scanned) == 1000
    assert scanned == xes_tree.read_tree(data, rec, None, None, "events.xes", "first")
    assert scanned == xes.loads(data, recording=rec, epoch="first")
    assert {e.actor for e in scanned} == {"agent & 0", "agent & 1", "agent & 2"}
