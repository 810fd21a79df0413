"""Reading and writing ballot files: BLT, PrefLib (.soc/.soi/.toc/.toi) and govern's own JSON.

Every reader takes the text itself or a path (a :class:`pathlib.Path`, or a
one-line string naming an existing file) and returns a :class:`Profile`. Every
writer returns text. Malformed input raises :class:`FormatError`, whose message
names the line (for JSON structure errors: the line of the syntax error, or the
path inside the document, e.g. ``ballots[3].weight``).

Candidate labels:
- BLT: the names as written, without the quotes.
- PrefLib: the alternative numbers ("1", "2", ...), as PrefLib results are
  reported; ``names=True`` uses the ``# ALTERNATIVE NAME i:`` lines instead.
- JSON: the names in ``candidates``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .profile import Ballot, Profile, ProfileError

__all__ = [
    "FormatError",
    "FORMATS",
    "format_from_path",
    "read_profile",
    "read_blt",
    "write_blt",
    "read_preflib",
    "write_preflib",
    "read_json",
    "write_json",
    "profile_from_document",
    "profile_to_document",
]

FORMATS = ("blt", "soc", "soi", "toc", "toi", "json")


class FormatError(ValueError):
    """The input is not a well-formed ballot file; the message says where."""


def _text(source: str | os.PathLike[str]) -> str:
    if isinstance(source, os.PathLike):
        path = Path(source)
    elif isinstance(source, str) and "\n" not in source and len(source) < 4096 and source.strip() and os.path.isfile(source):
        path = Path(source)
    elif isinstance(source, str):
        return source
    else:
        raise TypeError(f"expected text or a path, not {type(source).__name__}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"line {line}: {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def format_from_path(path: str | os.PathLike[str]) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in FORMATS or ext == "pb":
        return ext
    raise FormatError(f"cannot tell the format of {os.fspath(path)!r} from its extension; give --format")


def read_profile(source: str | os.PathLike[str], format: str | None = None) -> Profile:
    """Read a ranked profile in any of :data:`FORMATS` (from the extension when not given)."""
    fmt = format or format_from_path(source)
    if fmt == "blt":
        return read_blt(source)
    if fmt in ("soc", "soi", "toc", "toi"):
        return read_preflib(source, data_type=fmt)
    if fmt == "json":
        return read_json(source)
    raise FormatError(f"unknown ballot format {fmt!r}")


# --------------------------------------------------------------------- BLT

def _unquote(line: str) -> str:
    s = line.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    return s


def read_blt(source: str | os.PathLike[str]) -> Profile:
    """Read a BLT file (the format of OpenSTV, the ERS and the Scottish data sets).

    ::

        4 2              candidates, seats
        -2               optional: withdrawn candidates (negative numbers)
        3 1 3 4 0        weight, preferences (1-based; "2=3" ties 2 and 3), 0
        0                end of ballots
        "Anna"           one name per candidate, quoted or not
        "Title"          optional title
    """
    lines = _text(source).splitlines()
    rows = [(no, raw.strip()) for no, raw in enumerate(lines, 1) if raw.strip()]
    if not rows:
        raise FormatError("line 1: empty BLT file")
    pos = 0
    no, head = rows[pos]
    parts = head.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise FormatError(f"line {no}: expected 'candidates seats', got {head!r}")
    n, seats = int(parts[0]), int(parts[1])
    if n < 1 or seats < 1:
        raise FormatError(f"line {no}: need at least one candidate and one seat")
    pos += 1
    withdrawn: set[int] = set()
    if pos < len(rows) and rows[pos][1].startswith("-"):
        no, s = rows[pos]
        for tok in s.split():
            if not re.fullmatch(r"-\d+", tok) or not (1 <= -int(tok) <= n):
                raise FormatError(f"line {no}: bad withdrawn candidate {tok!r}")
            withdrawn.add(-int(tok) - 1)
        pos += 1
    counts: dict[Ballot, int] = {}
    while True:
        if pos >= len(rows):
            raise FormatError(f"line {len(lines)}: missing the '0' line that ends the ballots")
        no, s = rows[pos]
        pos += 1
        toks = s.split()
        if toks and toks[0].startswith("(") and toks[0].endswith(")"):
            toks = toks[1:]  # an optional ballot id
        if toks == ["0"]:
            break
        if not toks or not toks[0].isdigit():
            raise FormatError(f"line {no}: a ballot line starts with its weight, got {s!r}")
        weight = int(toks[0])
        if toks[-1] != "0":
            raise FormatError(f"line {no}: a ballot line must end with 0")
        ballot: list[tuple[int, ...]] = []
        seen: set[int] = set()
        for tok in toks[1:-1]:
            if tok == "-":
                continue  # a skipped preference: nothing at this rank
            rank: list[int] = []
            for part in tok.split("="):
                if not part.isdigit() or not (1 <= int(part) <= n):
                    raise FormatError(f"line {no}: unknown candidate {part!r} (there are {n})")
                c = int(part) - 1
                if c in seen:
                    raise FormatError(f"line {no}: candidate {part} ranked twice")
                seen.add(c)
                rank.append(c)
            ballot.append(tuple(rank))
        if weight == 0:
            continue
        key = tuple(ballot)
        counts[key] = counts.get(key, 0) + weight
    if pos + n > len(rows):
        raise FormatError(f"line {len(lines)}: expected {n} candidate names after the ballots, found {len(rows) - pos}")
    names = []
    for i in range(n):
        no, s = rows[pos + i]
        names.append(_unquote(s))
    if len(set(names)) != n:
        raise FormatError(f"line {rows[pos][0]}: candidate names must be unique")
    pos += n
    title = ""
    if pos < len(rows):
        title = _unquote(rows[pos][1])
        pos += 1
    if pos < len(rows):
        raise FormatError(f"line {rows[pos][0]}: unexpected text after the title: {rows[pos][1]!r}")
    try:
        return Profile(tuple(names), tuple(counts), tuple(counts.values()), seats=seats, withdrawn=frozenset(withdrawn), title=title)
    except ProfileError as exc:
        raise FormatError(f"line 1: {exc}") from None


def _check_name(name: str, what: str) -> None:
    if '"' in name or "\n" in name or "\r" in name:
        raise FormatError(f"{what} {name!r} cannot be written in BLT (quote or line break)")


def write_blt(profile: Profile, *, seats: int | None = None) -> str:
    s = seats if seats is not None else profile.seats
    if s is None:
        raise FormatError("BLT needs the number of seats")
    out = [f"{len(profile.candidates)} {s}"]
    if profile.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(profile.withdrawn)))
    for ballot, w in zip(profile.ballots, profile.weights):
        prefs = " ".join("=".join(str(c + 1) for c in rank) for rank in ballot)
        out.append(f"{w} {prefs} 0" if prefs else f"{w} 0")
    out.append("0")
    for name in profile.candidates:
        _check_name(name, "candidate name")
        out.append(f'"{name}"')
    _check_name(profile.title, "title")
    out.append(f'"{profile.title}"')
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------- PrefLib

_PREFLIB_LINE = re.compile(r"^\s*(\d+)\s*:\s*(.*?)\s*$")


def _parse_order(text: str, no: int, m: int) -> Ballot:
    ballot: list[tuple[int, ...]] = []
    seen: set[int] = set()
    i = 0
    s = text.replace(" ", "")
    if not s:
        return ()
    while i < len(s):
        if s[i] == "{":
            j = s.find("}", i)
            if j < 0:
                raise FormatError(f"line {no}: unclosed '{{'")
            items = s[i + 1 : j].split(",") if j > i + 1 else []
            i = j + 1
            if not items:
                raise FormatError(f"line {no}: empty tie '{{}}'")
        else:
            j = s.find(",", i)
            j = len(s) if j < 0 else j
            items = [s[i:j]]
            i = j
        rank = []
        for item in items:
            if not item.isdigit() or not (1 <= int(item) <= m):
                raise FormatError(f"line {no}: unknown alternative {item!r} (there are {m})")
            c = int(item) - 1
            if c in seen:
                raise FormatError(f"line {no}: alternative {item} ranked twice")
            seen.add(c)
            rank.append(c)
        ballot.append(tuple(rank))
        if i < len(s):
            if s[i] != ",":
                raise FormatError(f"line {no}: expected ',' at {s[i:]!r}")
            i += 1
            if i == len(s):
                raise FormatError(f"line {no}: trailing ','")
    return tuple(ballot)


def read_preflib(source: str | os.PathLike[str], *, data_type: str | None = None, names: bool = False) -> Profile:
    """Read PrefLib ordinal data (soc, soi, toc, toi), checking the content against its DATA TYPE."""
    meta: dict[str, tuple[int, str]] = {}
    alt_names: dict[int, str] = {}
    counts: dict[Ballot, int] = {}
    m: int | None = None
    first_ballot_line = 0
    for no, raw in enumerate(_text(source).splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if counts:
                raise FormatError(f"line {no}: metadata after the first ballot line")
            key, sep, value = line[1:].partition(":")
            if not sep:
                raise FormatError(f"line {no}: expected '# KEY: value'")
            key, value = key.strip().upper(), value.strip()
            am = re.fullmatch(r"ALTERNATIVE NAME (\d+)", key)
            if am:
                alt_names[int(am.group(1))] = value
            else:
                meta[key] = (no, value)
            continue
        if m is None:
            if "NUMBER ALTERNATIVES" not in meta:
                raise FormatError(f"line {no}: '# NUMBER ALTERNATIVES: m' must come before the ballots")
            mno, mval = meta["NUMBER ALTERNATIVES"]
            if not mval.isdigit() or int(mval) < 1:
                raise FormatError(f"line {mno}: NUMBER ALTERNATIVES must be a positive integer")
            m = int(mval)
            first_ballot_line = no
        match = _PREFLIB_LINE.match(line)
        if not match:
            raise FormatError(f"line {no}: expected 'count: order', got {line!r}")
        count = int(match.group(1))
        ballot = _parse_order(match.group(2), no, m)
        dtype = data_type or meta.get("DATA TYPE", (0, ""))[1].lower() or None
        if dtype in ("soc", "soi") and any(len(r) > 1 for r in ballot):
            raise FormatError(f"line {no}: ties are not allowed in {dtype} data")
        if dtype in ("soc", "toc") and sum(map(len, ballot)) != m:
            raise FormatError(f"line {no}: {dtype} data needs complete orders of all {m} alternatives")
        if count:
            counts[ballot] = counts.get(ballot, 0) + count
    if m is None:
        if "NUMBER ALTERNATIVES" not in meta:
            raise FormatError("line 1: no '# NUMBER ALTERNATIVES' line and no ballots")
        mno, mval = meta["NUMBER ALTERNATIVES"]
        if not mval.isdigit() or int(mval) < 1:
            raise FormatError(f"line {mno}: NUMBER ALTERNATIVES must be a positive integer")
        m = int(mval)
    for key, what in (("NUMBER VOTERS", sum(counts.values())), ("NUMBER UNIQUE ORDERS", None)):
        if key in meta and what is not None:
            kno, kval = meta[key]
            if not kval.isdigit() or int(kval) != what:
                raise FormatError(f"line {kno}: {key} says {kval} but the ballot lines (from line {first_ballot_line}) count {what}")
    declared = meta.get("DATA TYPE")
    if declared and data_type and declared[1].lower() != data_type:
        raise FormatError(f"line {declared[0]}: DATA TYPE {declared[1]!r} does not match the extension .{data_type}")
    for i in alt_names:
        if not (1 <= i <= m):
            raise FormatError(f"line 1: ALTERNATIVE NAME {i} is outside 1..{m}")
    if names:
        cands = tuple(alt_names.get(i, str(i)) for i in range(1, m + 1))
        if len(set(cands)) != m:
            raise FormatError("line 1: alternative names are not unique; read without names")
    else:
        cands = tuple(str(i) for i in range(1, m + 1))
    return Profile(cands, tuple(counts), tuple(counts.values()), title=meta.get("TITLE", (0, ""))[1])


def write_preflib(profile: Profile, *, data_type: str | None = None) -> str:
    """PrefLib text; the data type is the tightest that fits unless given. Names become ALTERNATIVE NAME lines."""
    m = len(profile.candidates)
    strict = profile.is_strict()
    complete = all(sum(map(len, b)) == m for b in profile.ballots)
    tight = ("s" if strict else "t") + "o" + ("c" if complete else "i")
    dtype = data_type or tight
    if (dtype.startswith("s") and not strict) or (dtype.endswith("c") and not complete):
        raise FormatError(f"this profile does not fit PrefLib data type {dtype!r} (it is {tight!r})")
    out = [
        f"# TITLE: {profile.title}",
        f"# DATA TYPE: {dtype}",
        f"# NUMBER ALTERNATIVES: {m}",
        f"# NUMBER VOTERS: {profile.total_weight}",
        f"# NUMBER UNIQUE ORDERS: {len(profile.ballots)}",
    ]
    out += [f"# ALTERNATIVE NAME {i}: {name}" for i, name in enumerate(profile.candidates, 1)]
    for ballot, w in zip(profile.ballots, profile.weights):
        ranks = [str(r[0] + 1) if len(r) == 1 else "{" + ",".join(str(c + 1) for c in r) + "}" for r in ballot]
        out.append(f"{w}: {','.join(ranks)}")
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------- JSON

def _fail(where: str, msg: str) -> FormatError:
    return FormatError(f"{where}: {msg}")


def profile_from_document(doc: Any) -> tuple[Profile, dict[str, Any]]:
    """Build a profile from a parsed govern JSON profile; also return the extras (costs, budget).

    ``{"format": "govern-profile", "version": 1, "candidates": [...],
    "ballots": [{"ranking": [["a"], ["b", "c"]], "weight": 3}, ...], "seats": N,
    "withdrawn": [...], "costs": {"a": cents}, "budget": cents, "title": "..."}``.
    A ranking item may also be a bare name. ``weight`` defaults to 1.
    """
    if not isinstance(doc, Mapping):
        raise _fail("document", "a govern profile is a JSON object")
    if doc.get("format") != "govern-profile":
        raise _fail("format", "expected \"govern-profile\"")
    if doc.get("version") != 1:
        raise _fail("version", f"unsupported version {doc.get('version')!r}; this reader knows 1")
    cands = doc.get("candidates")
    if not isinstance(cands, list) or not all(isinstance(c, str) for c in cands):
        raise _fail("candidates", "expected a list of names")
    if len(set(cands)) != len(cands):
        raise _fail("candidates", "names must be unique")
    index = {c: i for i, c in enumerate(cands)}
    raw_ballots = doc.get("ballots")
    if not isinstance(raw_ballots, list):
        raise _fail("ballots", "expected a list")
    counts: dict[Ballot, int] = {}
    for i, b in enumerate(raw_ballots):
        where = f"ballots[{i}]"
        if not isinstance(b, Mapping) or not isinstance(b.get("ranking"), list):
            raise _fail(where, "expected {\"ranking\": [...], \"weight\": n}")
        w = b.get("weight", 1)
        if type(w) is not int or w < 0:
            raise _fail(where + ".weight", f"must be a non-negative integer, not {w!r}")
        ballot = []
        seen: set[int] = set()
        for j, item in enumerate(b["ranking"]):
            names = [item] if isinstance(item, str) else item
            if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
                raise _fail(f"{where}.ranking[{j}]", "expected a name or a non-empty list of names")
            rank = []
            for x in names:
                if x not in index:
                    raise _fail(f"{where}.ranking[{j}]", f"unknown candidate {x!r}")
                if index[x] in seen:
                    raise _fail(f"{where}.ranking[{j}]", f"candidate {x!r} ranked twice")
                seen.add(index[x])
                rank.append(index[x])
            ballot.append(tuple(rank))
        if w:
            key = tuple(ballot)
            counts[key] = counts.get(key, 0) + w
    seats = doc.get("seats")
    if seats is not None and (type(seats) is not int or seats < 1):
        raise _fail("seats", "must be a positive integer")
    wd = doc.get("withdrawn", [])
    if not isinstance(wd, list) or any(x not in index for x in wd):
        raise _fail("withdrawn", "expected a list of candidate names")
    title = doc.get("title", "")
    if not isinstance(title, str):
        raise _fail("title", "must be a string")
    extras: dict[str, Any] = {}
    if "costs" in doc:
        costs = doc["costs"]
        if not isinstance(costs, Mapping) or any(k not in index or type(v) is not int or v < 0 for k, v in costs.items()):
            raise _fail("costs", "expected {candidate: non-negative integer cents}")
        extras["costs"] = dict(costs)
    if "budget" in doc:
        if type(doc["budget"]) is not int or doc["budget"] < 0:
            raise _fail("budget", "must be a non-negative integer (cents)")
        extras["budget"] = doc["budget"]
    try:
        profile = Profile(tuple(cands), tuple(counts), tuple(counts.values()), seats=seats,
                          withdrawn=frozenset(index[x] for x in wd), title=title)
    except ProfileError as exc:
        raise _fail("document", str(exc)) from None
    return profile, extras


def profile_to_document(profile: Profile, *, costs: Mapping[str, int] | None = None, budget: int | None = None) -> dict[str, Any]:
    names = profile.candidates
    doc: dict[str, Any] = {
        "format": "govern-profile",
        "version": 1,
        "candidates": list(names),
        "ballots": [
            {"ranking": [[names[c] for c in rank] for rank in ballot], "weight": w}
            for ballot, w in zip(profile.ballots, profile.weights)
        ],
    }
    if profile.seats is not None:
        doc["seats"] = profile.seats
    if profile.withdrawn:
        doc["withdrawn"] = [names[c] for c in sorted(profile.withdrawn)]
    if profile.title:
        doc["title"] = profile.title
    if costs is not None:
        doc["costs"] = dict(costs)
    if budget is not None:
        doc["budget"] = budget
    return doc


def read_json_document(source: str | os.PathLike[str]) -> tuple[Profile, dict[str, Any]]:
    text = _text(source)
    try:
        doc = json.loads(text, parse_float=lambda s: _float_refused(s))
    except json.JSONDecodeError as exc:
        raise FormatError(f"line {exc.lineno}: {exc.msg} (column {exc.colno})") from None
    try:
        return profile_from_document(doc)
    except FormatError as exc:
        line = _json_line(text, str(exc))
        if line is None:
            raise
        raise FormatError(f"line {line}: {exc}") from None


def _json_line(text: str, message: str) -> int | None:
    """The line a schema error points at: the i-th ballot's "ranking" key, or the top-level key."""
    m = re.match(r"ballots\[(\d+)\]", message)
    if m:
        keys = list(re.finditer(r'"ranking"\s*:', text))
        i = int(m.group(1))
        if len(keys) == len(json.loads(text).get("ballots", [])) and i < len(keys):
            return text.count("\n", 0, keys[i].start()) + 1
        return None
    m = re.match(r"(\w+):", message)
    if m:
        key = re.search(rf'"{m.group(1)}"\s*:', text)
        if key:
            return text.count("\n", 0, key.start()) + 1
    return None


def _float_refused(s: str) -> Any:
    raise FormatError(f"numbers must be integers, not {s!r}")


def read_json(source: str | os.PathLike[str]) -> Profile:
    return read_json_document(source)[0]


def write_json(profile: Profile, *, costs: Mapping[str, int] | None = None, budget: int | None = None) -> str:
    doc = profile_to_document(profile, costs=costs, budget=budget)
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


