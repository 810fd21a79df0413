"""The record's list page: filters by kind, subject, actor and Amsterdam dates; keyset pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from govern.audit import log


def _entry_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/audit/(\d+)"', html)]


def test_filters_and_pages(client: Any, db: Any, monkeypatch: Any) -> None:
    moments = iter(
        [dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)] * 3  # 23:30 in Amsterdam, still 1 March
        + [dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)] * 3  # 00:30 on 2 March in Amsterdam
        + [dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)] * 60
    )
    monkeypatch.setattr(log, "utcnow", lambda: next(moments))
    seqs = [
        log.record("round.created" if i % 2 else "proposal.submitted", actor=f"account:{i % 3}", subject=f"proposal:{i % 4}").seq
        for i in range(66)
    ]
    db.session.commit()

    first_page = _entry_numbers(client.get("/audit").get_data(as_text=True))
    assert first_page[:3] == sorted(seqs, reverse=True)[:3] and len(set(first_page)) == 50
    html = client.get(f"/audit?before={min(first_page)}").get_data(as_text=True)
    assert set(_entry_numbers(html)) == set(seqs) - set(first_page)

    only_rounds = _entry_numbers(client.get("/audit?type=round.").get_data(as_text=True))
    assert only_rounds and all(seqs.index(n) % 2 == 1 for n in only_rounds)
    exact = _entry_numbers(client.get("/audit?type=round.created").get_data(as_text=True))
    assert exact == only_rounds
    assert _entry_numbers(client.get("/audit?type=round").get_data(as_text=True)) == []  # neither a kind nor a prefix
    subject = _entry_numbers(client.get("/audit?subject=proposal:2").get_data(as_text=True))
    assert set(subject) == {s for i, s in enumerate(seqs) if i % 4 == 2}
    actor = _entry_numbers(client.get("/audit?actor=account:1").get_data(as_text=True))
    assert set(actor) == {s for i, s in enumerate(seqs) if i % 3 == 1}

    first_of_march = _entry_numbers(client.get("/audit?from=2026-03-01&until=2026-03-01").get_data(as_text=True))
    assert set(first_of_march) == set(seqs[:3])  # by the Amsterdam calendar
    second = _entry_numbers(client.get("/audit?from=2026-03-02&until=2026-03-02").get_data(as_text=True))
    assert set(second) == set(seqs[3:6])
    assert _entry_numbers(client.get("/audit?from=2027-01-01").get_data(as_text=True)) == []
    assert client.get("/audit?from=not-a-date").status_code == 200
