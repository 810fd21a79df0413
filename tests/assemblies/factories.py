"""Assemblies for tests, made through the services (so they are on the record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from govern.assemblies import services
from govern.assemblies.models import Assembly

#: 15 April 2027, 19:30 in Amsterdam (summer time: 17:30 UTC).
DAY = dt.date(2027, 4, 15)
TIME = dt.time(19, 30)


def settings(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        title="Algemene Ledenvergadering voorjaar 2027",
        starts_at=services.amsterdam(DAY, TIME),
        place="Huis van de Wijk, Bospolder",
        online_url="",
        description="Welkom!",
        quorum="1/2",
        max_proxies=1,
    )
    values.update(overrides)
    return values


def make_assembly(board: Any, *, items: tuple[str, ...] = ("Opening", "Jaarrekening 2026"), **overrides: Any) -> Assembly:
    assembly = services.create_assembly(by=board, **settings(**overrides))
    for title in items:
        services.add_item(assembly, by=board, title=title)
    return assembly
