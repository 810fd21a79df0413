"""Assembly pages: agenda, documents, check-in, proxies, live quorum, paper ballots and minutes."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import require_right, require_role
from ..budgeting import markdown
from ..extensions import db
from ..forms import show_error
from ..membership.models import Right, Role
from ..services import ServiceError
from . import models  # noqa: F401 - the tables must be known to the app
from . import queries, services
from .forms import ActionForm, AgendaVoteForm, AssemblyForm, CheckInForm, DocumentForm, ItemForm, MinutesForm, PaperProxyForm, ProxyForm
from .models import AgendaItem, Assembly, AssemblyDocument, AssemblyStatus, Proxy

bp = Blueprint("assemblies", __name__)

BOARD = (Role.BOARD,)
TELLERS = (Role.TELLER, Role.BOARD)
#: The upload form may carry a 10 MB file plus the other fields; larger bodies get the 413 page.
UPLOAD_BODY_LIMIT = services.MAX_DOCUMENT_BYTES + 512 * 1024


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # URL preprocessors run before every before_request handler, so the larger limit holds
    # when the CSRF check first reads the body (the app's limit is 8 MB; documents may be 10 MB).
    if endpoint == "assemblies.new_document":
        request.max_content_length = UPLOAD_BODY_LIMIT


@bp.app_context_processor
def _assembly_helpers() -> dict[str, Any]:
    return {"AssemblyStatus": AssemblyStatus}


def _load(assembly_id: int) -> Assembly:
    return db.get_or_404(Assembly, assembly_id)


def _item(item_id: int) -> AgendaItem:
    return db.get_or_404(AgendaItem, item_id)


def _back(assembly: Assembly, anchor: str | None = None) -> Any:
    return redirect(url_for("assemblies.assembly", assembly_id=assembly.id, _anchor=anchor))


def _act(action: Any, success: str, *args: Any, **kwargs: Any) -> bool:
    """Run a button's service: flash its success or its refusal. Returns whether it worked."""
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return False
    try:
        action(*args, by=current_user, **kwargs)
    except ServiceError as error:
        flash(error.message, "error")
        return False
    flash(success, "success")
    return True


# --- list and page ----------------------------------------------------------------------------------


@bp.get("/assemblies")
def assemblies() -> str:
    coming, ended = queries.assemblies()
    return render_template("assemblies/assemblies.html", coming=coming, ended=ended)


@bp.get("/assemblies/<int:assembly_id>")
def assembly(assembly_id: int) -> str:
    assembly = _load(assembly_id)
    me = current_user.member if current_user.is_authenticated else None
    checked_in = me is not None and services.is_checked_in(assembly, me.id)
    my_proxy = queries.live_proxy_of(assembly, me.id) if me is not None else None
    held = services.live_proxies_held(assembly, me.id) if me is not None else []
    return render_template(
        "assemblies/assembly.html",
        assembly=assembly,
        description_html=markdown.render(assembly.description),
        quorum=queries.quorum_view(assembly),
        quorum_sentence=queries.quorum_sentence,
        votes=queries.votes_by_id(assembly),
        checked_in=checked_in,
        may_vote=me is not None and services.may_vote_here(me),
        my_proxy=my_proxy,
        held=held,
        board=services.is_board(current_user),
        teller=services.is_teller(current_user),
        action_form=ActionForm(),
    )


# --- settings (board) ---------------------------------------------------------------------------------


def _settings(form: AssemblyForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "starts_at": services.amsterdam(form.day.data, form.time.data),
        "place": form.place.data or "",
        "online_url": form.online_url.data or "",
        "description": form.description.data or "",
        "quorum": form.quorum.data or "",
        "max_proxies": form.max_proxies.data,
    }


def _show_settings_error(form: AssemblyForm, error: ServiceError) -> None:
    show_error(form, ServiceError(error.message, "day" if error.field == "starts_at" else error.field))


@bp.route("/assemblies/new", methods=["GET", "POST"])
@require_role(*BOARD)
def new_assembly() -> Any:
    form = AssemblyForm()
    if form.validate_on_submit():
        try:
            assembly = services.create_assembly(by=current_user, **_settings(form))
        except ServiceError as error:
            _show_settings_error(form, error)
        else:
            flash(_("The meeting is planned. Now add the agenda items."), "success")
            return redirect(url_for("assemblies.assembly", assembly_id=assembly.id))
    return render_template("assemblies/assembly_form.html", form=form, assembly=None), 422 if form.errors else 200


@bp.route("/assemblies/<int:assembly_id>/edit", methods=["GET", "POST"])
@require_role(*BOARD)
def edit_assembly(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    if assembly.status == AssemblyStatus.CLOSED:
        flash(_("The meeting has ended: it can no longer change."), "error")
        return _back(assembly)
    form = AssemblyForm(obj=assembly)
    if request.method == "GET":
        starts = services.local(assembly.starts_at)
        form.day.data, form.time.data = starts.date(), starts.time().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        try:
            changed = services.update_assembly(assembly, by=current_user, **_settings(form))
        except ServiceError as error:
            _show_settings_error(form, error)
        else:
            flash(_("Saved.") if changed else _("Nothing has changed."), "success")
            return _back(assembly)
    return render_template("assemblies/assembly_form.html", form=form, assembly=assembly), 422 if form.errors else 200


@bp.post("/assemblies/<int:assembly_id>/open")
@require_role(*BOARD)
def open_assembly(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    _act(services.open_assembly, _("The meeting is open. Members can check in; proxies are fixed now."), assembly)
    return _back(assembly)


@bp.post("/assemblies/<int:assembly_id>/close")
@require_role(*BOARD)
def close_assembly(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    if _act(services.close_assembly, _("The meeting has ended. A signed checkpoint of the record was made."), assembly):
        return redirect(url_for("assemblies.minutes", assembly_id=assembly.id))
    return _back(assembly)


# --- agenda (board) -----------------------------------------------------------------------------------


@bp.get("/agenda/<int:item_id>")
def agenda_item(item_id: int) -> str:
    item = _item(item_id)
    vote = queries.votes_by_id(item.assembly).get(item.vote_id) if item.vote_id else None
    return render_template(
        "assemblies/item.html",
        item=item,
        assembly=item.assembly,
        vote=vote,
        description_html=markdown.render(item.description),
        board=services.is_board(current_user),
        teller=services.is_teller(current_user),
    )


@bp.route("/assemblies/<int:assembly_id>/agenda/new", methods=["GET", "POST"])
@require_role(*BOARD)
def new_item(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    if assembly.status != AssemblyStatus.PLANNED:
        flash(_("The meeting has started: this can no longer change."), "error")
        return _back(assembly, "agenda")
    form = ItemForm()
    if form.validate_on_submit():
        try:
            services.add_item(
                assembly, by=current_user, title=form.title.data, description=form.description.data or "", thread=form.thread.data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("The item is on the agenda."), "success")
            return _back(assembly, "agenda")
    return render_template("assemblies/item_form.html", form=form, assembly=assembly, item=None), 422 if form.errors else 200


@bp.route("/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@require_role(*BOARD)
def edit_item(item_id: int) -> Any:
    item = _item(item_id)
    assembly = item.assembly
    if assembly.status != AssemblyStatus.PLANNED:
        flash(_("The meeting has started: this can no longer change."), "error")
        return redirect(url_for("assemblies.agenda_item", item_id=item.id))
    form = ItemForm(obj=item)
    if request.method == "GET":
        form.thread.data = item.has_thread
    if form.validate_on_submit():
        try:
            changed = services.update_item(
                item, by=current_user, title=form.title.data, description=form.description.data or "", thread=form.thread.data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("Saved.") if changed else _("Nothing has changed."), "success")
            return _back(assembly, "agenda")
    return render_template("assemblies/item_form.html", form=form, assembly=assembly, item=item), 422 if form.errors else 200


@bp.post("/agenda/<int:item_id>/move")
@require_role(*BOARD)
def move_item(item_id: int) -> Any:
    item = _item(item_id)
    assembly = item.assembly
    _act(services.move_item, _("The agenda order is changed."), item, direction=request.form.get("direction", ""))
    return _back(assembly, "agenda")


@bp.post("/agenda/<int:item_id>/remove")
@require_role(*BOARD)
def remove_item(item_id: int) -> Any:
    item = _item(item_id)
    assembly = item.assembly
    _act(services.remove_item, _("The item is removed from the agenda."), item)
    return _back(assembly, "agenda")


@bp.route("/agenda/<int:item_id>/vote", methods=["GET", "POST"])
@require_role(*BOARD)
def item_vote(item_id: int) -> Any:
    from ..voting.forms import parse_candidates

    item = _item(item_id)
    assembly = item.assembly
    if item.vote_id is not None:
        flash(_("This item already holds a vote."), "error")
        return redirect(url_for("assemblies.agenda_item", item_id=item.id))
    form = AgendaVoteForm()
    if request.method == "GET":
        form.title.data = item.title
    if form.validate_on_submit():
        try:
            vote = services.add_vote(
                item,
                by=current_user,
                kind=form.kind.data,
                title=form.title.data,
                description=form.description.data or "",
                secret=form.secret.data,
                threshold=form.threshold.data or "majority",
                abstentions=form.abstentions.data or "excluded",
                seats=form.seats.data or 1,
                candidates=parse_candidates(form.candidates.data),
            )
        except ServiceError as error:
            show_error(form, ServiceError(error.message, error.field if error.field in form else None))
        else:
            flash(_("The vote is ready. The chair opens it during the meeting."), "success")
            return redirect(url_for("assemblies.agenda_item", item_id=item.id, vote=vote.id))
    return render_template("assemblies/vote_form.html", form=form, assembly=assembly, item=item), 422 if form.errors else 200


# --- documents ----------------------------------------------------------------------------------------


@bp.route("/assemblies/<int:assembly_id>/documents/new", methods=["GET", "POST"])
@require_role(*BOARD)
def new_document(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read() if upload is not None and getattr(upload, "filename", "") else b""
        try:
            services.add_document(
                assembly, by=current_user, title=form.title.data, filename=getattr(upload, "filename", "") or "", data=data
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("The document is added."), "success")
            return _back(assembly, "documents")
    return render_template("assemblies/document_form.html", form=form, assembly=assembly), 422 if form.errors else 200


@bp.get("/assemblies/documents/<int:document_id>")
def document(document_id: int) -> Response:
    doc = db.get_or_404(AssemblyDocument, document_id)
    response = Response(doc.data, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/assemblies/documents/<int:document_id>/remove")
@require_role(*BOARD)
def remove_document(document_id: int) -> Any:
    doc = db.get_or_404(AssemblyDocument, document_id)
    assembly = doc.assembly
    _act(services.remove_document, _("The document is removed."), doc)
    return _back(assembly, "documents")


# --- attendance ---------------------------------------------------------------------------------------


@bp.post("/assemblies/<int:assembly_id>/check-in")
@login_required
def check_in(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    if not current_user.member.is_active:
        abort(403)
    _act(services.check_in, _("You are checked in. Welcome!"), assembly)
    return _back(assembly)


@bp.post("/assemblies/<int:assembly_id>/check-out")
@login_required
def check_out(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    if not current_user.member.is_active:
        abort(403)
    _act(services.check_out, _("You are checked out. A vote you already cast still counts."), assembly)
    return _back(assembly)


@bp.get("/assemblies/<int:assembly_id>/attendance")
@require_role(*TELLERS)
def attendance(assembly_id: int) -> str:
    assembly = _load(assembly_id)
    q = (request.args.get("q") or "").strip()[:100]
    present = queries.member_ids_present(assembly)
    return render_template(
        "assemblies/attendance.html",
        assembly=assembly,
        q=q,
        found=queries.search_members(q) if q else [],
        present=present,
        rows=queries.attendance(assembly),
        proxies=queries.proxies(assembly),
        quorum=queries.quorum_view(assembly),
        quorum_sentence=queries.quorum_sentence,
        form=CheckInForm(),
    )


def _teller_action(assembly_id: int, act: Any, no_member: Any) -> Any:
    """A teller checks a member in or out from the attendance page: ``act(assembly, member_id)`` returns the flash."""
    assembly = _load(assembly_id)
    form = CheckInForm()
    form.member.choices = []
    q = request.form.get("q", "")
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif form.member.data is None:
        flash(no_member, "error")
    else:
        try:
            flash(act(assembly, form.member.data), "success")
        except ServiceError as error:
            flash(error.message, "error")
    return redirect(url_for("assemblies.attendance", assembly_id=assembly.id, q=q or None))


@bp.post("/assemblies/<int:assembly_id>/attendance")
@require_role(*TELLERS)
def teller_check_in(assembly_id: int) -> Any:
    def act(assembly: Any, member_id: int) -> str:
        attendance = services.check_in(assembly, by=current_user, member_id=member_id)
        return _("%(name)s is checked in.", name=attendance.member.name)

    return _teller_action(assembly_id, act, _("Choose an active member from the list."))


@bp.post("/assemblies/<int:assembly_id>/attendance/check-out")
@require_role(*TELLERS)
def teller_check_out(assembly_id: int) -> Any:
    def act(assembly: Any, member_id: int) -> str:
        member = services.check_out(assembly, by=current_user, member_id=member_id)
        return _("%(name)s is checked out. A vote already cast still counts.", name=member.name)

    return _teller_action(assembly_id, act, _("Choose a member from the list."))


# --- proxies ------------------------------------------------------------------------------------------


@bp.route("/assemblies/<int:assembly_id>/proxy", methods=["GET", "POST"])
@require_right(Right.VOTE_ASSEMBLY)
def proxy(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    me = current_user.member
    form = ProxyForm()
    form.holder.choices = [("", _("Choose…"))] + queries.voting_members(exclude={me.id})
    status = 200
    if form.validate_on_submit():
        try:
            services.give_proxy(assembly, by=current_user, holder_id=form.holder.data)
        except ServiceError as error:
            show_error(form, error)
            status = 422
        else:
            flash(_("Your proxy is given. You can revoke it until the meeting opens."), "success")
            return _back(assembly, "proxy")
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "assemblies/proxy.html",
            assembly=assembly,
            form=form,
            my_proxy=queries.live_proxy_of(assembly, me.id),
            held=services.live_proxies_held(assembly, me.id),
            action_form=ActionForm(),
        ),
        status,
    )


@bp.route("/assemblies/<int:assembly_id>/paper-proxy", methods=["GET", "POST"])
@require_role(*BOARD)
def paper_proxy(assembly_id: int) -> Any:
    """The board records a proxy (volmacht) a member handed in on paper."""
    assembly = _load(assembly_id)
    form = PaperProxyForm()
    members = queries.voting_members()
    form.grantor.choices = [("", _("Choose…"))] + members
    form.holder.choices = [("", _("Choose…"))] + members
    status = 200
    if form.validate_on_submit():
        try:
            services.record_paper_proxy(
                assembly, by=current_user, grantor_id=form.grantor.data, holder_id=form.holder.data
            )
        except ServiceError as error:
            show_error(form, error)
            status = 422
        else:
            flash(_("The paper proxy is recorded. The board can revoke it until the meeting opens."), "success")
            return redirect(url_for("assemblies.paper_proxy", assembly_id=assembly.id))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "assemblies/paper_proxy.html",
            assembly=assembly,
            form=form,
            proxies=queries.proxies(assembly),
            is_paper=services.is_paper,
        ),
        status,
    )


@bp.post("/assemblies/proxies/<int:proxy_id>/revoke")
@login_required
def revoke_proxy(proxy_id: int) -> Any:
    proxy = db.get_or_404(Proxy, proxy_id)
    assembly = db.session.get(Assembly, proxy.assembly_id)
    if proxy.grantor_id == current_user.member_id:
        _act(services.revoke_proxy, _("Your proxy is revoked. You vote yourself again, or give a new proxy."), proxy)
        return _back(assembly, "proxy")
    if not (services.is_board(current_user) and services.is_paper(proxy)):
        abort(403)
    _act(services.revoke_proxy, _("The paper proxy is revoked."), proxy)
    return redirect(url_for("assemblies.paper_proxy", assembly_id=proxy.assembly_id))


# --- minutes ------------------------------------------------------------------------------------------


def _minutes_page(assembly: Assembly, form: MinutesForm | None = None, status: int = 200) -> Any:
    m = queries.minutes(assembly)
    text = queries.minutes_markdown(m)
    board = services.is_board(current_user)
    if form is None and board and assembly.status == AssemblyStatus.CLOSED and assembly.minutes is None:
        form = MinutesForm(data={"text": text})
    adopted_sha = hashlib.sha256(assembly.minutes.encode("utf-8")).hexdigest() if assembly.minutes else None
    return (
        render_template(
            "assemblies/minutes.html",
            assembly=assembly,
            m=m,
            quorum_sentence=queries.quorum_sentence,
            adopted_html=markdown.render(assembly.minutes) if assembly.minutes else None,
            adopted_sha=adopted_sha,
            render_markdown=markdown.render,
            form=form if board else None,
        ),
        status,
    )


@bp.get("/assemblies/<int:assembly_id>/minutes")
def minutes(assembly_id: int) -> Any:
    return _minutes_page(_load(assembly_id))


@bp.get("/assemblies/<int:assembly_id>/minutes.md")
def minutes_markdown(assembly_id: int) -> Response:
    assembly = _load(assembly_id)
    text = assembly.minutes if assembly.minutes is not None else queries.minutes_markdown(queries.minutes(assembly))
    response = Response(text, mimetype="text/markdown")
    response.charset = "utf-8"
    kind = "notulen" if assembly.minutes is not None else "notulen-concept"
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-{assembly.id}.md"'
    return response


@bp.post("/assemblies/<int:assembly_id>/minutes")
@require_role(*BOARD)
def adopt_minutes(assembly_id: int) -> Any:
    assembly = _load(assembly_id)
    form = MinutesForm()
    if form.validate_on_submit():
        try:
            services.adopt_minutes(assembly, by=current_user, text=form.text.data or "")
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("The minutes are adopted. Their fingerprint is on the record."), "success")
            return redirect(url_for("assemblies.minutes", assembly_id=assembly.id))
    return _minutes_page(assembly, form, 422)



# --- paper ballots (tellers) ----------------------------------------------------------------------------


def _paper_vote(vote_id: int) -> Any:
    from ..voting.models import VoteItem

    vote = db.get_or_404(VoteItem, vote_id)
    if vote.assembly_id is None:
        abort(404)
    return vote


def _option_names(vote: Any) -> dict[str, str]:
    from ..voting.results import labels

    return labels(vote)


def _may_mark(vote: Any) -> list[tuple[int, str]]:
    """Electors who are present or represented here and have not voted yet: (member id, name)."""
    import sqlalchemy as sa

    from ..membership.models import Member
    from ..voting.models import Elector, Participation
    from . import quorum

    here = quorum.present_ids(vote.assembly_id)
    represented = {g for g, h in quorum.live_proxies(vote.assembly_id).items() if h in here}
    voted = set(db.session.scalars(sa.select(Participation.member_id).where(Participation.vote_id == vote.id)))
    rows = db.session.execute(
        sa.select(Member.id, Member.name)
        .join(Elector, Elector.member_id == Member.id)
        .where(Elector.vote_id == vote.id)
        .order_by(Member.name, Member.id)
    )
    return [(i, n) for i, n in rows if (i in here or i in represented) and i not in voted]


@bp.get("/votes/<int:vote_id>/paper")
@require_role(*TELLERS)
def paper(vote_id: int) -> str:
    from ..voting import paper as paper_ballots

    vote = _paper_vote(vote_id)
    form = CheckInForm()
    form.member.choices = [("", _("Choose…")), *_may_mark(vote)] if vote.is_open else []
    return render_template(
        "assemblies/paper.html",
        vote=vote,
        assembly=db.session.get(Assembly, vote.assembly_id),
        possible=paper_ballots.paper_possible(vote),
        status=paper_ballots.status(vote),
        voters=paper_ballots.paper_voters(vote),
        names=_option_names(vote),
        form=form,
        action_form=ActionForm(),
    )


@bp.post("/votes/<int:vote_id>/paper/voters")
@require_role(*TELLERS)
def paper_voter(vote_id: int) -> Any:
    from ..voting import paper as paper_ballots

    vote = _paper_vote(vote_id)
    form = CheckInForm()
    form.member.choices = []
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    else:
        try:
            participation = paper_ballots.mark_voter(vote, by=current_user, member_id=form.member.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s voted on paper. Hand over the slip.", name=participation.member.name), "success")
    return redirect(url_for("assemblies.paper", vote_id=vote.id))


@bp.route("/votes/<int:vote_id>/paper/slips", methods=["GET", "POST"])
@require_role(*TELLERS)
def paper_slip(vote_id: int) -> Any:
    from ..voting import paper as paper_ballots

    vote = _paper_vote(vote_id)
    form = ActionForm()
    error: ServiceError | None = None
    values: dict[str, Any] = {"number": "", "weight": "", "choice": "", "ranks": {}}
    corrected = None
    if request.method == "POST":
        values = {
            "number": request.form.get("number", "").strip(),
            "weight": request.form.get("weight", "").strip(),
            "choice": request.form.get("choice", ""),
            "ranks": {o.key: request.form.get(f"rank-{o.key}", "").strip() for o in vote.options},
        }
        if not form.validate_on_submit():
            error = ServiceError(_("The form had expired. Please try again."))
        else:
            try:
                slip = paper_ballots.enter_slip(
                    vote,
                    by=current_user,
                    number=values["number"],
                    ranks=values["ranks"],
                    choice=values["choice"] or None,
                    weight=values["weight"] or None,
                )
            except ServiceError as failed:
                error = failed
            else:
                flash(_("Slip %(n)d is saved.", n=slip.number), "success")
                return redirect(url_for("assemblies.paper_slip", vote_id=vote.id, next=slip.number + 1))
    else:
        number = request.args.get("number", "")
        if number.isdigit():
            own = paper_ballots.own_entry(vote, current_user, int(number))
            if own is not None:
                corrected = own
                values = {
                    "number": str(own.number),
                    "weight": str(own.weight),
                    "choice": own.ranking[0] if vote.kind.value == "motion" and own.ranking else "",
                    "ranks": {key: str(i) for i, key in enumerate(own.ranking, start=1)},
                }
        elif request.args.get("next", "").isdigit():
            values["number"] = request.args["next"]
    return (
        render_template(
            "assemblies/slip_form.html",
            vote=vote,
            assembly=db.session.get(Assembly, vote.assembly_id),
            possible=paper_ballots.paper_possible(vote),
            values=values,
            error=error,
            corrected=corrected,
            weights=paper_ballots.slip_weights(vote),
            names=_option_names(vote),
            max_rank=len(vote.options) if not vote.ranks else min(vote.ranks, len(vote.options)),
        ),
        422 if error is not None else 200,
    )


@bp.post("/votes/<int:vote_id>/paper/accept")
@require_role(*TELLERS)
def paper_accept(vote_id: int) -> Any:
    from ..voting import paper as paper_ballots

    vote = _paper_vote(vote_id)
    if ActionForm().validate_on_submit():
        try:
            added = paper_ballots.accept(vote, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The paper slips are accepted: %(n)d ballots are in the box.", n=added), "success")
    else:
        flash(_("The form had expired. Please try again."), "error")
    return redirect(url_for("assemblies.paper", vote_id=vote.id))
