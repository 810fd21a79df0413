"""Check an audit bundle without trusting the server.

    python -m govern.audit.verify BUNDLE.zip [--trusted-checkpoint FILE] [--key KEYSTRING] [--lang nl]

What it checks, one report line each:

- the hash chain: every entry is canonical, seq runs 1, 2, 3 … and each entry names
  the hash of the one before (a changed, removed or moved row breaks it there);
- every signed checkpoint: signed by the cooperative's key (``--key``, when you give
  the key you trust, otherwise the one in the bundle), for this log's origin, and its
  root equals the root recomputed from the entries; two checkpoints of one size
  with different roots mean the log was forked; entries after the newest
  checkpoint are not pinned by any signature;
- with ``--trusted-checkpoint`` (a checkpoint you saved earlier): the bundle still
  holds those entries unchanged — fewer entries means the record was cut short,
  a different root means history was rewritten;
- every vote: the ballots are the ones recorded when the vote closed, recounting
  them gives the recorded outcome byte for byte, and as many ballots as participants.

Exit status: 0 when everything holds, 1 when a check fails, 2 when the input
cannot be used at all. Only the standard library, ``cryptography`` and
``govern.tally`` are imported — never Flask or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import canonical
from .bundle import Bundle, BundleError, box_leaf, checkpoint_file_size, electorate_digest, read_bundle
from .chain import ChainError, parse_entry, replay
from .checkpoint import Checkpoint, CheckpointError, Verifier, parse_checkpoint, verify_checkpoint
from ..finance import ledger
from ..tally.motion import share_needed
from .merkle import CompactRange, auto_workers, leaf_hash
from .merkle import root as merkle_root

Recount = Callable[[Any], Any]

# Every line of the report, in English and Dutch. {placeholders} are filled in per check.
MESSAGES: dict[str, tuple[str, str]] = {
    "chain_ok": (
        "The record has {n} entries, each one linked to the one before it; none was changed, removed or moved.",
        "Het logboek heeft {n} regels, elk gekoppeld aan de vorige; geen enkele is gewijzigd, verwijderd of verplaatst.",
    ),
    "chain_empty": ("The record is empty.", "Het logboek is leeg."),
    "chain_bad": (
        "The record breaks at entry {seq}: {reason}.",
        "Het logboek is onderbroken bij regel {seq}: {reason}.",
    ),
    "manifest_ok": (
        "The bundle's table of contents matches the record ({n} entries, last hash {head}).",
        "De inhoudsopgave van de bundel klopt met het logboek ({n} regels, laatste hash {head}).",
    ),
    "manifest_bad": (
        "MANIFEST.json says {claim_n} entries ending in {claim_head}, but the record has {n} ending in {head}.",
        "MANIFEST.json noemt {claim_n} regels eindigend op {claim_head}, maar het logboek heeft er {n}, eindigend op {head}.",
    ),
    "key_given_ok": (
        "The bundle's public key is the key you gave: {key}.",
        "De publieke sleutel in de bundel is de sleutel die u opgaf: {key}.",
    ),
    "key_given_bad": (
        "The bundle's public key ({bundle_key}) is NOT the key you gave ({key}); signatures are checked against yours.",
        "De publieke sleutel in de bundel ({bundle_key}) is NIET de sleutel die u opgaf ({key}); handtekeningen worden met de uwe gecontroleerd.",
    ),
    "key_bundle": (
        "Signatures are checked against the key in the bundle ({key}); give --key to check against a key you trust.",
        "Handtekeningen worden gecontroleerd met de sleutel uit de bundel ({key}); geef --key om te controleren met een sleutel die u vertrouwt.",
    ),
    "key_unusable": (
        "public-key.txt does not hold a usable key ({reason}); no signature can be checked.",
        "public-key.txt bevat geen bruikbare sleutel ({reason}); geen handtekening kan worden gecontroleerd.",
    ),
    "cp_ok": (
        "{file}: signed by {key}, covers entries 1–{size}, and the entries give exactly its root.",
        "{file}: ondertekend door {key}, dekt regels 1–{size}, en de regels geven precies de vastgelegde hash.",
    ),
    "cp_sig_bad": ("{file}: {reason}.", "{file}: {reason}."),
    "cp_name_bad": (
        "{file}: the file name says size {name_size} but the checkpoint inside is for size {size} (a replayed checkpoint?).",
        "{file}: de bestandsnaam noemt grootte {name_size} maar het controlepunt zelf is voor grootte {size} (een hergebruikt controlepunt?).",
    ),
    "cp_short": (
        "{file}: signed for {size} entries, but the record has only {n}: entries {first}–{size} were removed.",
        "{file}: ondertekend voor {size} regels, maar het logboek heeft er maar {n}: regels {first}–{size} zijn verwijderd.",
    ),
    "cp_root_bad": (
        "{file}: entries 1–{size} do NOT give the signed root; history was rewritten somewhere in entries {first}–{size}.",
        "{file}: regels 1–{size} geven NIET de ondertekende hash; de geschiedenis is herschreven ergens in regels {first}–{size}.",
    ),
    "fork": (
        "Two signed checkpoints for size {size} have different roots ({files}): the record was forked.",
        "Twee ondertekende controlepunten voor grootte {size} hebben verschillende hashes ({files}): het logboek is gesplitst.",
    ),
    "no_checkpoint": (
        "No signed checkpoint is in the bundle, so nothing pins the record.",
        "Er zit geen ondertekend controlepunt in de bundel, dus niets legt het logboek vast.",
    ),
    "coverage_ok": (
        "The newest signed checkpoint covers all {n} entries.",
        "Het nieuwste ondertekende controlepunt dekt alle {n} regels.",
    ),
    "coverage_bad": (
        "Entries {first}–{n} are not covered by any signed checkpoint (the newest covers {size}); they could have been added by anyone.",
        "Regels {first}–{n} vallen onder geen enkel ondertekend controlepunt (het nieuwste dekt er {size}); iedereen kan ze hebben toegevoegd.",
    ),
    "trusted_sig_bad": (
        "Your saved checkpoint does not check out: {reason}.",
        "Uw bewaarde controlepunt klopt niet: {reason}.",
    ),
    "trusted_short": (
        "Your saved checkpoint covers {size} entries, but the bundle has only {n}: entries {first}–{size} were cut off.",
        "Uw bewaarde controlepunt dekt {size} regels, maar de bundel heeft er maar {n}: regels {first}–{size} zijn afgeknipt.",
    ),
    "trusted_root_bad": (
        "The bundle's entries 1–{size} do NOT match your saved checkpoint of size {size}: history was rewritten (forked) after you saved it.",
        "Regels 1–{size} van de bundel komen NIET overeen met uw bewaarde controlepunt van grootte {size}: de geschiedenis is herschreven (gesplitst) nadat u het bewaarde.",
    ),
    "trusted_stale": (
        "The bundle's newest signed checkpoint covers {newest} entries, fewer than the {size} of your saved checkpoint: it is an old checkpoint served again.",
        "Het nieuwste ondertekende controlepunt in de bundel dekt {newest} regels, minder dan de {size} van uw bewaarde controlepunt: een oud controlepunt is opnieuw aangeboden.",
    ),
    "trusted_ok": (
        "The bundle contains your saved checkpoint's {size} entries unchanged.",
        "De bundel bevat de {size} regels van uw bewaarde controlepunt ongewijzigd.",
    ),
    "vote_ok": (
        "Vote {id} (closed at entry {seq}): recounted with {rule}, same outcome byte for byte; winners {winners}; {ballots} ballots from {participants} participants.",
        "Stemming {id} (gesloten bij regel {seq}): opnieuw geteld met {rule}, precies dezelfde uitslag; gekozen {winners}; {ballots} stembiljetten van {participants} deelnemers.",
    ),
    "vote_bad": ("Vote {id} ({file}): {reason}.", "Stemming {id} ({file}): {reason}."),
    "vote_box_ok": (
        "Vote {id}: the published box holds {n} ballots in tracker order; they give the recorded root {root} and are exactly the ballots counted.",
        "Stemming {id}: de gepubliceerde stembus bevat {n} stembiljetten op volgorde van bonnetjescode; ze geven de vastgelegde hash {root} en zijn precies de getelde stembiljetten.",
    ),
    "vote_invalid": (
        "Vote {id} is NOT valid: only {weight} of the {needed} votes needed for the quorum were there, so it decides nothing.",
        "Stemming {id} is NIET geldig: er waren maar {weight} van de {needed} stemmen die nodig zijn voor het quorum, dus er is niets besloten.",
    ),
    "vote_missing": (
        "Vote {id} was closed at entry {seq}, but its ballots are not in the bundle, so it cannot be recounted.",
        "Stemming {id} is gesloten bij regel {seq}, maar de stembiljetten zitten niet in de bundel, dus hertellen kan niet.",
    ),
    "money_ok": (
        "Money: {projects} projects, each from a proposal the vote funded with the allocation it recorded; {entries} "
        "entries, each for one of those projects; board decisions: {decisions}; no project uses more than its "
        "allocation without a board decision; money.json lists exactly these entries and totals "
        "(allocated {allocated}, spent {spent}, open commitments {open}, in cents).",
        "Geld: {projects} projecten, elk uit een voorstel dat de stemming geld gaf, met het vastgelegde bedrag; {entries} "
        "boekingen, elk voor een van die projecten; besluiten van het bestuur: {decisions}; geen project gebruikt meer dan "
        "het toegekende bedrag zonder besluit van het bestuur; money.json bevat precies deze boekingen en totalen "
        "(toegekend {allocated}, uitgegeven {spent}, open verplichtingen {open}, in centen).",
    ),
    "money_none": ("Money: the record has no funded projects yet.", "Geld: het logboek heeft nog geen projecten met geld."),
    "money_bad": ("Money ({place}): {reason}.", "Geld ({place}): {reason}."),
    "summary_ok": ("All {count} checks passed.", "Alle {count} controles zijn geslaagd."),
    "summary_bad": (
        "{bad} of {count} checks FAILED. The first problem: {first}",
        "{bad} van de {count} controles zijn MISLUKT. Het eerste probleem: {first}",
    ),
}
LANGS = ("en", "nl")
#: Dutch for the chain's reasons (the English reason comes with the error itself).
CHAIN_REASONS_NL = {
    "prev": "het veld 'prev' klopt niet met de hash van regel {previous} (een regel is gewijzigd, verwijderd of verplaatst)",
    "seq": "het volgnummer klopt niet (een regel ontbreekt, is toegevoegd of verplaatst)",
    "canonical": "de regel is geen canonieke JSON (anders opgemaakt dan het origineel, of beschadigd)",
    "fields": "de regel heeft niet de vorm van een logboekregel ({reason})",
}


def _number(value: Any, lang: str) -> Any:
    """1,000,000 in English, 1.000.000 in Dutch; other values as they are."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "nl" else text
    return value


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: The first bad place (an entry seq or a file name), for failures.
    where: str | None = None

    def text(self, lang: str = "en") -> str:
        template = MESSAGES[self.message][LANGS.index(lang)]
        params = {k: v.text(lang) if isinstance(v, _MoneyReason) else _number(v, lang) for k, v in self.params.items()}
        if lang == "nl" and params.get("code") in CHAIN_REASONS_NL:
            params["reason"] = CHAIN_REASONS_NL[params["code"]].format(**params)
        return template.format(**params)


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, ok: bool, message: str, where: str | None = None, **params: Any) -> Check:
        check = Check(ok, message, params, where)
        self.checks.append(check)
        return check

    def render(self, lang: str = "en") -> str:
        lines = [("✓ " if c.ok else "✗ ") + c.text(lang) for c in self.checks]
        failures = self.failures
        if failures:
            summary = Check(False, "summary_bad", {"bad": len(failures), "count": len(self.checks), "first": failures[0].text(lang)})
        else:
            summary = Check(True, "summary_ok", {"count": len(self.checks)})
        lines.append("")
        lines.append(summary.text(lang))
        return "\n".join(lines) + "\n"


def _default_recount(document: Any) -> Any:
    from govern.tally.rules import recount  # imported late: a colleague's module, pure Python

    return recount(document)


def _outcome_bytes(result: Any) -> bytes:
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    if hasattr(result, "to_json"):
        return bytes(result.to_json())
    return canonical.encode(result)


def _short(hex_hash: str) -> str:
    return hex_hash[:16] + "…"


def verify_bundle(
    source: str | Path | IO[bytes] | bytes | Bundle,
    *,
    trusted_checkpoint: str | None = None,
    key: str | None = None,
    recount: Recount | None = None,
    workers: int | None = None,
) -> Report:
    """Run every check on a bundle. Raises :class:`BundleError` or :class:`CheckpointError` only for unusable input
    (an unreadable bundle, a malformed ``key`` or a malformed saved checkpoint)."""
    bundle = source if isinstance(source, Bundle) else read_bundle(source)
    trusted_key = Verifier.from_string(key) if key is not None else None
    saved: Checkpoint | None = parse_checkpoint(trusted_checkpoint) if trusted_checkpoint is not None else None
    report = Report()
    origin = bundle.origin
    entries = bundle.entries

    # 1. The hash chain.
    try:
        w = auto_workers(len(entries)) if workers is None else workers
        hashes = replay(entries, workers=w)
        valid = len(entries)
        if entries:
            report.add(True, "chain_ok", n=len(entries))
        else:
            report.add(True, "chain_empty")
    except ChainError as exc:
        valid = exc.seq - 1
        hashes = replay(entries[:valid])
        report.add(
            False, "chain_bad", where=f"entry {exc.seq}", seq=exc.seq, reason=exc.reason, code=exc.code, previous=exc.seq - 1
        )
    head = hashes[-1].hex() if hashes else "0" * 64
    claim_n, claim_head = bundle.manifest.get("entry_count"), bundle.manifest.get("head")
    if valid == len(entries):
        if claim_n == len(entries) and claim_head == head:
            report.add(True, "manifest_ok", n=len(entries), head=_short(head))
        else:
            report.add(
                False, "manifest_bad", where="MANIFEST.json",
                claim_n=claim_n, claim_head=_short(str(claim_head)), n=len(entries), head=_short(head),
            )

    # 2. The key.
    verifier: Verifier | None
    try:
        bundle_key: Verifier | None = Verifier.from_string(bundle.public_key)
        bundle_key_problem = ""
    except CheckpointError as exc:
        bundle_key, bundle_key_problem = None, str(exc)
    if trusted_key is not None:
        verifier = trusted_key
        if bundle_key == trusted_key:
            report.add(True, "key_given_ok", key=str(trusted_key))
        else:
            report.add(False, "key_given_bad", where="public-key.txt", bundle_key=bundle.public_key, key=str(trusted_key))
    elif bundle_key is not None:
        verifier = bundle_key
        report.add(True, "key_bundle", key=str(bundle_key))
    else:
        verifier = None
        report.add(False, "key_unusable", where="public-key.txt", reason=bundle_key_problem)

    # 3. Roots of the entries at every size a checkpoint speaks of, in one pass.
    sizes: set[int] = set()
    parsed: list[tuple[str, Checkpoint | None, str]] = []
    for name, note in bundle.checkpoints:
        if verifier is None:
            parsed.append((name, None, "no usable key to check the signature"))
            continue
        try:
            cp = verify_checkpoint(note, verifier, origin)
            parsed.append((name, cp, ""))
            sizes.add(cp.size)
        except CheckpointError as exc:
            parsed.append((name, None, str(exc)))
    if saved is not None:
        sizes.add(saved.size)
    roots = _roots_at(hashes, sorted(s for s in sizes if s <= valid), workers)

    # 4. Every checkpoint.
    good_sizes: list[int] = []
    by_size: dict[int, list[tuple[str, bytes]]] = {}
    for name, cp, problem in parsed:
        if cp is None:
            report.add(False, "cp_sig_bad", where=name, file=name, reason=problem)
            continue
        by_size.setdefault(cp.size, []).append((name, cp.root))
        if checkpoint_file_size(name) != cp.size:
            report.add(False, "cp_name_bad", where=name, file=name, name_size=checkpoint_file_size(name), size=cp.size)
        elif cp.size > len(entries):
            report.add(False, "cp_short", where=name, file=name, size=cp.size, n=len(entries), first=len(entries) + 1)
        elif cp.size > valid:
            pass  # the chain is already broken before this size; that failure names the place
        elif roots[cp.size] != cp.root:
            below = max((s for s in good_sizes if s < cp.size), default=0)
            report.add(False, "cp_root_bad", where=name, file=name, size=cp.size, first=below + 1)
        else:
            good_sizes.append(cp.size)
            report.add(True, "cp_ok", file=name, key=verifier.name if verifier else "?", size=cp.size)
    for size, seen in sorted(by_size.items()):
        if len({root for _, root in seen}) > 1:
            report.add(False, "fork", where=seen[0][0], size=size, files=", ".join(n for n, _ in seen))
    signed = [cp.size for _, cp, _ in parsed if cp is not None]
    newest = max(signed, default=None)
    if newest is None:
        report.add(False, "no_checkpoint", where="checkpoints/")
    elif newest < len(entries):
        report.add(False, "coverage_bad", where=f"entry {newest + 1}", first=newest + 1, n=len(entries), size=newest)
    else:
        report.add(True, "coverage_ok", n=len(entries))

    # 5. The auditor's own saved checkpoint.
    if saved is not None and trusted_checkpoint is not None:
        problem = ""
        if verifier is None:
            problem = "no usable key to check the signature"
        else:
            try:
                verify_checkpoint(trusted_checkpoint, verifier, origin)
            except CheckpointError as exc:
                problem = str(exc)
        if problem:
            report.add(False, "trusted_sig_bad", where="--trusted-checkpoint", reason=problem)
        elif saved.size > len(entries):
            report.add(False, "trusted_short", where=f"entry {len(entries) + 1}", size=saved.size, n=len(entries), first=len(entries) + 1)
        elif saved.size <= valid and roots[saved.size] != saved.root:
            report.add(False, "trusted_root_bad", where=f"size {saved.size}", size=saved.size)
        elif saved.size <= valid:
            report.add(True, "trusted_ok", size=saved.size)
        if not problem and newest is not None and newest < saved.size:
            report.add(False, "trusted_stale", where="checkpoints/", newest=newest, size=saved.size)

    # 6. Votes.
    _check_votes(report, bundle, entries[:valid], recount or _default_recount)

    # 7. The money trail.
    _check_money(report, bundle, entries[:valid])
    return report


def _roots_at(hashes: list[bytes], sizes: list[int], workers: int | None) -> dict[int, bytes]:
    tree, roots = CompactRange(), {}
    w = auto_workers(len(hashes)) if workers is None else workers
    for size in sizes:
        tree.extend(hashes[tree.size : size], workers=w)
        roots[size] = tree.root()
    return roots


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_votes(report: Report, bundle: Bundle, entries: list[bytes], recount: Recount) -> None:
    closed: dict[str, tuple[int, dict[str, Any]]] = {}
    for seq, body in enumerate(entries, start=1):
        if b'"vote.closed"' not in body:
            continue
        entry = parse_entry(body)
        if entry.type == "vote.closed" and entry.subject and entry.subject.startswith("vote:"):
            closed[entry.subject[5:]] = (seq, entry.data)
    for vote_id in sorted(set(closed) | set(bundle.votes)):
        folder = f"votes/{vote_id}/"
        files = bundle.votes.get(vote_id)
        if files is None:
            report.add(False, "vote_missing", where=folder, id=vote_id, seq=closed[vote_id][0])
            continue

        def bad(file: str, reason: str) -> None:
            report.add(False, "vote_bad", where=folder + file, id=vote_id, file=folder + file, reason=reason)

        missing = [n for n in ("count", "outcome", "vote") if getattr(files, n) is None]
        if missing:
            bad(missing[0] + ".json", "the file is missing")
            continue
        try:
            meta = canonical.decode(files.vote)  # type: ignore[arg-type]
            document = canonical.decode(files.count)  # type: ignore[arg-type]
        except canonical.NotCanonical as exc:
            bad("vote.json / count.json", f"not canonical JSON ({exc})")
            continue
        if not isinstance(meta, dict) or str(meta.get("id")) != vote_id:
            bad("vote.json", "its id does not match its folder")
            continue
        seq = meta.get("closed_seq")
        if vote_id not in closed or closed[vote_id][0] != seq:
            bad("vote.json", f"it points to entry {seq!r}, which is not the vote.closed entry of this vote")
            continue
        data = closed[vote_id][1]
        problems: list[tuple[str, str]] = []
        if _sha256_hex(files.count) != data.get("ballots_digest"):  # type: ignore[arg-type]
            problems.append(("count.json", f"the ballots are not the ones recorded at entry {seq} (their digest differs)"))
        if not isinstance(document, dict) or document.get("rule") != data.get("rule") or document.get("params") != data.get("params"):
            problems.append(("count.json", f"the rule or its parameters differ from those recorded at entry {seq}"))
        if _sha256_hex(files.outcome) != data.get("outcome_digest"):  # type: ignore[arg-type]
            problems.append(("outcome.json", f"the outcome is not the one recorded at entry {seq} (its digest differs)"))
        try:
            recounted = _outcome_bytes(recount(document))
        except Exception as exc:  # noqa: BLE001 - any failure to recount is reported, not raised
            recounted = None
            problems.append(("count.json", f"recounting failed ({type(exc).__name__}: {exc})"))
        if recounted is not None and recounted != files.outcome:
            problems.append(("outcome.json", "recounting the ballots gives a different outcome"))
        try:
            outcome = canonical.decode(files.outcome)  # type: ignore[arg-type]
        except canonical.NotCanonical:
            outcome = None
        if not isinstance(outcome, dict) or outcome.get("winners") != data.get("winners"):
            problems.append(("outcome.json", f"its winners differ from those recorded at entry {seq}"))
        elif outcome.get("engine") != data.get("engine"):
            problems.append(("outcome.json", f"it was counted by {outcome.get('engine')!r}, not the recorded {data.get('engine')!r}"))
        if meta.get("electorate_digest") != data.get("electorate_digest"):
            problems.append(("vote.json", f"the electorate digest differs from the one recorded at entry {seq}"))
        counts = (data.get("participation_count"), data.get("ballot_count"))
        if counts != (meta.get("participation_count"), meta.get("ballot_count")):
            problems.append(("vote.json", f"its counts differ from those recorded at entry {seq}"))
        if counts[0] != counts[1]:
            problems.append(("vote.json", f"{counts[0]} members took part but there are {counts[1]} ballots"))
        problems.extend(_check_box(meta, data, document, seq))
        problems.extend(_check_electorate(meta, data, vote_id, seq))
        problems.extend(_check_quorum(data, seq))
        for file, reason in problems:
            bad(file, reason)
        if not problems:
            winners = ", ".join(map(str, data.get("winners") or [])) or "—"
            report.add(
                True, "vote_ok", id=vote_id, seq=seq, rule=data.get("rule"), winners=winners,
                ballots=counts[1], participants=counts[0],
            )
            if "box" in meta:
                report.add(True, "vote_box_ok", id=vote_id, n=len(meta["box"]), root=_short(str(data.get("ballot_box_root"))))
            if data.get("valid") is False:
                report.add(True, "vote_invalid", id=vote_id, weight=data["quorum"]["weight"], needed=data["quorum"]["needed"])


#: Why the money trail fails, in English and Dutch.
MONEY_REASONS: dict[str, tuple[str, str]] = {
    "project_malformed": ("the project entry lacks its proposal, round or allocation", "de projectregel mist het voorstel, de ronde of het bedrag"),
    "project_twice": (
        "project {project} (proposal {proposal}) is created a second time",
        "project {project} (voorstel {proposal}) wordt een tweede keer aangemaakt",
    ),
    "project_not_funded": (
        "project {project} is made from proposal {proposal}, which the results of round {round} did not fund",
        "project {project} komt uit voorstel {proposal}, dat volgens de uitslag van ronde {round} geen geld kreeg",
    ),
    "allocation_differs": (
        "project {project} is allocated {allocated} cents, but its proposal was funded at {cost} cents",
        "project {project} krijgt {allocated} cent, maar het voorstel kreeg {cost} cent",
    ),
    "unknown_project": (
        "money is booked on project {project}, which no funded proposal became",
        "er is geld geboekt op project {project}, maar geen voorstel met geld is dat project geworden",
    ),
    "decision_malformed": ("a board decision for project {project} has no positive amount", "een besluit voor project {project} heeft geen positief bedrag"),
    "entry_malformed": ("the money entry is malformed (kind, amount or sign)", "de boeking klopt niet (soort, bedrag of teken)"),
    "entry_twice": ("money entry {entry} is booked twice", "boeking {entry} staat er twee keer"),
    "reversal_bad": (
        "correction {entry} does not cancel entry {reverses} (it must be an earlier entry of the same project and kind, "
        "not corrected before, with the opposite amount)",
        "correctie {entry} heft boeking {reverses} niet op (dat moet een eerdere boeking van hetzelfde project en "
        "dezelfde soort zijn, niet eerder gecorrigeerd, met het tegengestelde bedrag)",
    ),
    "commitment_bad": (
        "expenditure {entry} pays commitment {commitment}, which is not an earlier commitment of the same project",
        "uitgave {entry} betaalt verplichting {commitment}, maar dat is geen eerdere verplichting van hetzelfde project",
    ),
    "overspend": (
        "project {project} goes {over} cents over its allocation with entry {entry}, without a board decision",
        "project {project} gaat met boeking {entry} {over} cent over het toegekende bedrag, zonder besluit van het bestuur",
    ),
    "file_missing": ("the record has a money trail but the bundle has no money.json", "het logboek heeft geldboekingen maar de bundel heeft geen money.json"),
    "file_unreadable": ("money.json is not canonical JSON in the expected shape ({reason})", "money.json is geen canonieke JSON in de verwachte vorm ({reason})"),
    "file_projects": (
        "money.json lists projects {listed}, but the record created {recorded}",
        "money.json noemt projecten {listed}, maar het logboek maakte {recorded}",
    ),
    "file_project": (
        "money.json says project {project} has {field} = {listed}, but the record gives {recorded}",
        "money.json zegt dat project {project} {field} = {listed} heeft, maar het logboek geeft {recorded}",
    ),
    "file_entries": (
        "money.json lists {listed} entries, the record {recorded}",
        "money.json noemt {listed} boekingen, het logboek {recorded}",
    ),
    "file_entry": (
        "money.json's entry {entry} differs from what the record says at entry {seq}",
        "boeking {entry} in money.json verschilt van wat het logboek zegt bij regel {seq}",
    ),
    "file_decisions": (
        "money.json lists {listed} board decisions, the record {recorded}",
        "money.json noemt {listed} besluiten van het bestuur, het logboek {recorded}",
    ),
}

#: The trail's types as they end a canonical body ("type" is the last key but "v"), for a quick filter.
_TRAIL_TAILS = tuple(f'"type":"{t}","v":'.encode() for t in ledger.TRAIL_TYPES)


def _check_money(report: Report, bundle: Bundle, entries: list[bytes]) -> None:
    """Replay the record's money entries and compare money.json with them."""
    records = []
    for seq, body in enumerate(entries, start=1):
        # Canonical keys are sorted, so "type" comes last but for "v": one search from the end.
        if body[body.rfind(b'"type":"'):].startswith(_TRAIL_TAILS):
            entry = parse_entry(body)
            if entry.type in ledger.TRAIL_TYPES:
                records.append((seq, entry.type, entry.subject, entry.data))
    trail = ledger.replay(records)
    failures: list[tuple[str, str, dict[str, Any]]] = [(f"entry {p.seq}", p.code, p.params) for p in trail.problems]
    data = bundle.extra_files.get("money.json")
    if data is None:
        if trail.projects or trail.entries:
            failures.append(("money.json", "file_missing", {}))
    else:
        failures.extend(_compare_money_file(data, trail))
    for where, code, params in failures:
        report.add(False, "money_bad", where=where, place=where, reason=_MoneyReason(code, params))
    if failures:
        return
    if not trail.projects:
        report.add(True, "money_none")
        return
    total = ledger.Totals.sum(p.totals() for p in trail.projects.values())
    report.add(
        True, "money_ok", projects=len(trail.projects), entries=len(trail.entries), decisions=trail.decisions,
        allocated=total.allocated, spent=total.spent, open=total.open_commitments,
    )


def _compare_money_file(data: bytes, trail: ledger.Trail) -> list[tuple[str, str, dict[str, Any]]]:
    try:
        document = canonical.decode(data)
        projects = {p["id"]: p for p in document["projects"]}
        listed_entries = document["entries"]
        listed_decisions = document["decisions"]
    except (canonical.NotCanonical, KeyError, TypeError) as exc:
        return [("money.json", "file_unreadable", {"reason": str(exc)})]
    out: list[tuple[str, str, dict[str, Any]]] = []
    if sorted(projects) != sorted(trail.projects):
        out.append(("money.json", "file_projects", {"listed": sorted(projects), "recorded": sorted(trail.projects)}))
    for project_id, replayed in sorted(trail.projects.items()):
        listed = projects.get(project_id)
        if listed is None:
            continue
        expected = {"allocation_cents": replayed.allocated, "extra_cents": replayed.extra, "created_seq": replayed.created_seq}
        expected.update({f"totals.{k}": v for k, v in replayed.totals().as_dict().items()})
        for field_name, value in expected.items():
            got = listed.get("totals", {}).get(field_name[7:]) if field_name.startswith("totals.") else listed.get(field_name)
            if got != value:
                out.append(("money.json", "file_project", {"project": project_id, "field": field_name, "listed": got, "recorded": value}))
    if len(listed_entries) != len(trail.entries):
        out.append(("money.json", "file_entries", {"listed": len(listed_entries), "recorded": len(trail.entries)}))
    for item in listed_entries:
        if not isinstance(item, dict):
            out.append(("money.json", "file_unreadable", {"reason": "an entry is not an object"}))
            continue
        recorded = trail.entries.get(item.get("entry"))  # type: ignore[arg-type]
        rest = {k: v for k, v in item.items() if k != "seq"}
        if recorded is None or recorded[0] != item.get("seq") or recorded[1] != rest:
            out.append(("money.json", "file_entry", {"entry": item.get("entry"), "seq": recorded[0] if recorded else item.get("seq")}))
    if len(listed_decisions) != trail.decisions:
        out.append(("money.json", "file_decisions", {"listed": len(listed_decisions), "recorded": trail.decisions}))
    return out


class _MoneyReason:
    """A reason that renders in the report's language."""

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        self.code, self.params = code, params

    def text(self, lang: str) -> str:
        en, nl = MONEY_REASONS[self.code]
        return (nl if lang == "nl" else en).format(**self.params)

    def __str__(self) -> str:
        return self.text("en")


def _check_box(meta: Mapping[str, Any], data: Mapping[str, Any], document: Any, seq: Any) -> list[tuple[str, str]]:
    """The published box (tracker, ranking, weight per ballot): sorted by tracker, its Merkle root is the
    recorded one, and together its ballots are exactly the counted ones."""
    if "box" not in meta and not data.get("ballot_box_root"):
        return []
    box = meta.get("box")
    if not isinstance(box, list):
        return [("vote.json", "the ballot box is missing, so no voter can check their tracker")]
    try:
        trackers = [b["tracker"] for b in box]
        leaves = [leaf_hash(box_leaf(b["tracker"], b["ranking"], b["weight"])) for b in box]
    except (KeyError, TypeError, canonical.NotCanonical) as exc:
        return [("vote.json", f"a ballot in the box is malformed ({exc})")]
    problems = []
    if trackers != sorted(set(trackers)):
        problems.append(("vote.json", "the box is not sorted by tracker, or a tracker appears twice"))
    root = merkle_root(leaves).hex()
    if root != data.get("ballot_box_root") or root != meta.get("ballot_box_root"):
        problems.append(("vote.json", f"the box's root is not the one recorded at entry {seq}: a ballot was changed, added or removed"))
    merged: dict[str, int] = {}
    for b in box:
        key = canonical.encode(list(b["ranking"])).decode()
        merged[key] = merged.get(key, 0) + int(b["weight"])
    counted: dict[str, int] = {}
    ballots = document.get("profile", {}).get("ballots", []) if isinstance(document, dict) else []
    for b in ballots:
        ranking = [x if isinstance(x, str) else x for x in b.get("ranking", [])]
        key = canonical.encode(ranking).decode()
        counted[key] = counted.get(key, 0) + int(b.get("weight", 1))
    if merged != counted:
        problems.append(("vote.json", "the ballots in the box are not the ballots that were counted"))
    if len(box) != data.get("ballot_count"):
        problems.append(("vote.json", f"the box holds {len(box)} ballots, the record says {data.get('ballot_count')}"))
    return problems


def _check_electorate(meta: Mapping[str, Any], data: Mapping[str, Any], vote_id: str, seq: Any) -> list[tuple[str, str]]:
    electors = meta.get("electorate")
    if electors is None:
        return []
    try:
        digest = electorate_digest(int(vote_id), electors)
    except (TypeError, ValueError, canonical.NotCanonical) as exc:
        return [("vote.json", f"the electorate is malformed ({exc})")]
    problems = []
    if digest != data.get("electorate_digest"):
        problems.append(("vote.json", f"the electorate list does not give the digest recorded at entry {seq}"))
    if isinstance(data.get("participation_count"), int) and data["participation_count"] > len(electors):
        problems.append(("vote.json", f"{data['participation_count']} members took part, but only {len(electors)} could vote"))
    return problems


def _check_quorum(data: Mapping[str, Any], seq: Any) -> list[tuple[str, str]]:
    quorum = data.get("quorum")
    if not isinstance(quorum, dict):
        return []
    try:
        needed = share_needed(quorum["required"], int(quorum["electorate_weight"]))
        met = int(quorum["electorate_weight"]) > 0 and int(quorum["weight"]) >= needed
    except (KeyError, TypeError, ValueError) as exc:
        return [("vote.closed", f"the quorum recorded at entry {seq} is malformed ({exc})")]
    if needed != quorum.get("needed") or met != quorum.get("met") or data.get("valid") is not met:
        return [("vote.closed", f"the quorum arithmetic at entry {seq} does not add up")]
    return []


def main(argv: list[str] | None = None, stdout: IO[str] | None = None) -> int:
    out = stdout or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m govern.audit.verify",
        description="Check a govern audit bundle: the record, its signed checkpoints and every vote count.",
    )
    parser.add_argument("bundle", help="the audit bundle (.zip) to check")
    parser.add_argument("--trusted-checkpoint", metavar="FILE", help="a checkpoint note you saved earlier")
    parser.add_argument("--key", metavar="KEYSTRING", help="the cooperative's public key as you know it (name+id+key)")
    parser.add_argument("--lang", choices=LANGS, default="en", help="language of the report (en, nl)")
    parser.add_argument("--workers", type=int, metavar="N", help="processes to use (default: one per CPU for big records)")
    args = parser.parse_args(argv)
    nl = args.lang == "nl"
    try:
        trusted = Path(args.trusted_checkpoint).read_text("utf-8") if args.trusted_checkpoint else None
    except (OSError, UnicodeDecodeError) as exc:
        print(("Kan het bewaarde controlepunt niet lezen: " if nl else "Cannot read the saved checkpoint: ") + str(exc), file=out)
        return 2
    try:
        report = verify_bundle(args.bundle, trusted_checkpoint=trusted, key=args.key, workers=args.workers)
    except BundleError as exc:
        print(("Deze bundel is onbruikbaar: " if nl else "This bundle cannot be used: ") + str(exc), file=out)
        return 2
    except CheckpointError as exc:
        print(("Onbruikbare invoer: " if nl else "Unusable input: ") + str(exc), file=out)
        return 2
    except OSError as exc:
        print(("Kan de bundel niet lezen: " if nl else "Cannot read the bundle: ") + str(exc), file=out)
        return 2
    out.write(report.render(args.lang))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
