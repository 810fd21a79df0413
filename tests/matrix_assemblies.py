"""Access rows for the assembly pages (govern/assemblies/views.py), paper ballots included.

``{assembly}`` is planned: two agenda items ({agenda_item} has a discussion), a document
({assembly_doc}) and a proxy from the "other" organisation to the "lid" member
({assembly_proxy}; nobody in the matrix gave it and it is not on paper, so revoking it is refused
with 403, the board included).
``{open_assembly}`` is open, with an open secret motion ({paper_vote}) under {open_item}
and a document {open_doc}. ``{closed_assembly}`` has ended, its minutes not adopted.
POST rows are chosen so that the service refuses and redirects (a flash message), or
changes only the principal's own state (checking itself in).
"""

from __future__ import annotations

from typing import Any

VOTE_AT_ASSEMBLIES = {"lid", "board", "moderator", "auditor", "teller"}


def public(_: str) -> int:
    return 200


def board_only(p: str) -> int:
    return {"anonymous": 302, "board": 200}.get(p, 403)


def board_post(p: str) -> int:
    return {"anonymous": 302, "board": 302}.get(p, 403)


def tellers(p: str) -> int:
    return {"anonymous": 302, "board": 200, "teller": 200}.get(p, 403)


def tellers_post(p: str) -> int:
    return {"anonymous": 302, "board": 302, "teller": 302}.get(p, 403)


def may_vote_at_assemblies(p: str) -> int:
    if p == "anonymous":
        return 302
    return 200 if p in VOTE_AT_ASSEMBLIES else 403


def active_member_post(p: str) -> int:
    return {"pending": 403, "suspended": 403}.get(p, 302)


def not_the_grantor(p: str) -> int:
    return 302 if p == "anonymous" else 403


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "assemblies.assemblies": ("GET", "/assemblies", public, None),
    "assemblies.assembly": ("GET", "/assemblies/{assembly}", public, None),
    "assemblies.new_assembly": ("GET", "/assemblies/new", board_only, None),
    "assemblies.edit_assembly": ("GET", "/assemblies/{assembly}/edit", board_only, None),
    "assemblies.open_assembly": ("POST", "/assemblies/{closed_assembly}/open", board_post, {}),  # ended: refused
    "assemblies.close_assembly": ("POST", "/assemblies/{assembly}/close", board_post, {}),  # not open: refused
    "assemblies.agenda_item": ("GET", "/agenda/{agenda_item}", public, None),
    "assemblies.new_item": ("GET", "/assemblies/{assembly}/agenda/new", board_only, None),
    "assemblies.edit_item": ("GET", "/agenda/{agenda_item}/edit", board_only, None),
    "assemblies.move_item": ("POST", "/agenda/{agenda_item}/move", board_post, {"direction": "sideways"}),
    "assemblies.remove_item": ("POST", "/agenda/{open_item}/remove", board_post, {}),  # the meeting is open: refused
    "assemblies.item_vote": ("GET", "/agenda/{agenda_item}/vote", board_only, None),
    "assemblies.new_document": ("GET", "/assemblies/{assembly}/documents/new", board_only, None),
    "assemblies.document": ("GET", "/assemblies/documents/{assembly_doc}", public, None),
    "assemblies.remove_document": ("POST", "/assemblies/documents/{open_doc}/remove", board_post, {}),  # open: refused
    "assemblies.check_in": ("POST", "/assemblies/{open_assembly}/check-in", active_member_post, {}),
    "assemblies.attendance": ("GET", "/assemblies/{open_assembly}/attendance", tellers, None),
    "assemblies.teller_check_in": ("POST", "/assemblies/{open_assembly}/attendance", tellers_post, {"member": ""}),
    # Nobody in the matrix is checked in: every check-out is refused with a message.
    "assemblies.check_out": ("POST", "/assemblies/{open_assembly}/check-out", active_member_post, {}),
    "assemblies.teller_check_out": ("POST", "/assemblies/{open_assembly}/attendance/check-out", tellers_post, {"member": ""}),
    "assemblies.paper_proxy": ("GET", "/assemblies/{assembly}/paper-proxy", board_only, None),
    "assemblies.proxy": ("GET", "/assemblies/{assembly}/proxy", may_vote_at_assemblies, None),
    "assemblies.revoke_proxy": ("POST", "/assemblies/proxies/{assembly_proxy}/revoke", not_the_grantor, {}),
    "assemblies.minutes": ("GET", "/assemblies/{closed_assembly}/minutes", public, None),
    "assemblies.minutes_markdown": ("GET", "/assemblies/{closed_assembly}/minutes.md", public, None),
    "assemblies.adopt_minutes": (  # empty text: the form comes back with the message
        "POST",
        "/assemblies/{closed_assembly}/minutes",
        lambda p: {"anonymous": 302, "board": 422}.get(p, 403),
        {"text": ""},
    ),
    "assemblies.paper": ("GET", "/votes/{paper_vote}/paper", tellers, None),
    "assemblies.paper_voter": ("POST", "/votes/{paper_vote}/paper/voters", tellers_post, {"member": ""}),
    "assemblies.paper_slip": ("GET", "/votes/{paper_vote}/paper/slips", tellers, None),
    "assemblies.paper_accept": ("POST", "/votes/{paper_vote}/paper/accept", tellers_post, {}),  # nothing to accept
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    import datetime as dt

    from govern.assemblies import services

    board = people["accounts"]["board"]

    def plan(title: str) -> Any:
        return services.create_assembly(
            by=board,
            title=title,
            starts_at=services.amsterdam(dt.date(2027, 4, 15), dt.time(19, 30)),
            place="Huis van de Wijk",
            quorum="1/2",
            max_proxies=1,
        )

    pdf = b"%PDF-1.4\n%%EOF\n"
    planned = plan("ALV voorjaar")
    item = services.add_item(planned, by=board, title="Opening", thread=True)
    services.add_item(planned, by=board, title="Jaarrekening")
    doc = services.add_document(planned, by=board, title="Jaarrekening", filename="jaarrekening.pdf", data=pdf)
    proxy = services.give_proxy(planned, by=people["other"], holder_id=people["accounts"]["lid"].member_id)

    live = plan("ALV nu")
    open_item = services.add_item(live, by=board, title="Motie")
    vote = services.add_vote(open_item, by=board, kind="motion", title="Motie: meer groen", secret=True)
    open_doc = services.add_document(live, by=board, title="Motie", filename="motie.pdf", data=pdf)
    services.open_assembly(live, by=board)
    from govern.voting import services as voting

    voting.open_vote(vote, by=board)

    ended = plan("ALV najaar")
    services.add_item(ended, by=board, title="Opening")
    services.open_assembly(ended, by=board)
    services.close_assembly(ended, by=board)
    return {
        "assembly": planned.id,
        "agenda_item": item.id,
        "assembly_doc": doc.id,
        "assembly_proxy": proxy.id,
        "open_assembly": live.id,
        "open_item": open_item.id,
        "open_doc": open_doc.id,
        "paper_vote": vote.id,
        "closed_assembly": ended.id,
    }
