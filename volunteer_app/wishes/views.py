"""Routes of wishes: the public list with suggesting and supporting, the coordinators' side."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from volunteer_app.activities import queries as activity_queries
from volunteer_app.activities.forms import ActivityForm
from volunteer_app.centres.access import managed_centre as _managed_centre
from volunteer_app.centres.queries import can_manage, centre_by_slug
from volunteer_app.common.errors import Conflict, DomainError, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.common.security import hash_token, new_token
from volunteer_app.extensions import configured_limit, limiter
from volunteer_app.wishes import queries, services
from volunteer_app.wishes.forms import AnswerForm, ApprovalForm, RejectForm, WishForm

bp = Blueprint("wishes", __name__)

COOKIE = "wunsch_browser"
COOKIE_DAYS = 365
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{40,50}$")


# Per address generous (parents share a centre's Wi-Fi), per browser tight (browser_key).
SUGGEST_LIMIT = configured_limit("RATELIMIT_WISHES")
SUGGEST_BROWSER_LIMIT = configured_limit("RATELIMIT_WISHES_BROWSER")
SUPPORT_LIMIT = configured_limit("RATELIMIT_WISH_SUPPORT")
SUPPORT_BROWSER_LIMIT = configured_limit("RATELIMIT_WISH_SUPPORT_BROWSER")


def browser_key() -> str:
    """Whom the per-browser limits count: the browser's session (the signed session cookie
    holds the CSRF token every form sends), else its wish cookie, else its address. Only a
    hash of either id reaches the rate-limit storage."""
    token = session.get(current_app.config["WTF_CSRF_FIELD_NAME"])
    if isinstance(token, str) and token:
        return "wish-session:" + hash_token(token)
    value = request.cookies.get(COOKIE, "")
    if _COOKIE_VALUE.match(value):
        return "wish-browser:" + hash_token(value)
    return "wish-address:" + (get_remote_address() or "")


def _browser() -> tuple[str, str | None]:
    """The hash of this browser's random id, and a new id to set when it had none."""
    value = request.cookies.get(COOKIE, "")
    if _COOKIE_VALUE.match(value):
        return hash_token(value), None
    token, token_hash = new_token()
    return token_hash, token


def _known_browser() -> str | None:
    value = request.cookies.get(COOKIE, "")
    return hash_token(value) if _COOKIE_VALUE.match(value) else None


def _with_cookie(response, token: str | None):
    if token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _managed_wish(slug: str, wish_id: int):
    centre = _managed_centre(slug)
    return queries.wish_in_centre(centre, wish_id) or abort(404)


def _to_list(centre, wish_id: int | None = None):
    anchor = f"wish-{wish_id}" if wish_id else None
    return redirect(url_for(".centre_wishes", slug=centre.slug, _anchor=anchor))


# --- Public ---------------------------------------------------------------------------------


def _thanks(pending: bool) -> str:
    if pending:
        return _(
            "Thank you! Your wish is being checked and appears on the list "
            "once the centre has approved it."
        )
    return _("Thank you! Your wish is now on the list.")


@bp.route("/zentren/<slug>/wuensche", methods=["GET", "POST"])
@limiter.limit(SUGGEST_LIMIT, methods=["POST"])
@limiter.limit(SUGGEST_BROWSER_LIMIT, key_func=browser_key, methods=["POST"])
def centre_wishes(slug: str):
    centre = centre_by_slug(slug) or abort(404)
    form = WishForm()
    if form.validate_on_submit():
        browser, token = _browser()
        if form.is_bot:  # the honeypot: answer as if it worked, keep nothing
            flash(_thanks(centre.wishes_need_approval), "success")
            return _to_list(centre)
        try:
            wish = services.suggest_wish(
                centre, form.wish_data(), browser_hash=browser, locale=str(get_locale())
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_thanks(wish.is_pending), "success")
            return _with_cookie(_to_list(centre, wish.id), token)
    known = _known_browser()
    return render_template(
        "wishes/public.html", centre=centre, form=form, board=queries.public_board(centre.id),
        supported=queries.supported_ids(centre.id, known),
        own_pending=queries.own_pending(centre.id, known),
        support_form=ActionForm(formdata=None), can_manage=can_manage(current_user, centre),
    )  # fmt: skip


@bp.post("/zentren/<slug>/wuensche/<int:wish_id>/unterstuetzen")
@limiter.limit(SUPPORT_LIMIT)
@limiter.limit(SUPPORT_BROWSER_LIMIT, key_func=browser_key)
def support(slug: str, wish_id: int):
    centre = centre_by_slug(slug) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    browser, token = _browser()
    try:
        counted = services.support_wish(centre, wish_id, browser_hash=browser)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        if counted:
            flash(_("Thank you for your support!"), "success")
        else:
            flash(_("You have supported this wish already."), "warning")
    return _with_cookie(_to_list(centre, wish_id), token)


# --- Coordinators ---------------------------------------------------------------------------


@bp.get("/zentren/<slug>/wuensche/verwaltung")
@login_required
def manage(slug: str):
    centre = _managed_centre(slug)
    status = request.args.get("status")
    status = status if status in ("new", "planned", "realised", "declined") else None
    approval = "approve" if centre.wishes_need_approval else "publish"
    return render_template(
        "wishes/manage.html", centre=centre, wishes=queries.ranked_wishes(centre.id, status),
        counts=queries.status_counts(centre.id), status=status,
        pending=queries.pending_wishes(centre.id), action_form=ActionForm(formdata=None),
        approval_form=ApprovalForm(formdata=None, approval=approval),
    )  # fmt: skip


@bp.post("/zentren/<slug>/wuensche/einstellungen")
@login_required
def set_approval(slug: str):
    centre = _managed_centre(slug)
    form = ApprovalForm()
    if not form.validate_on_submit():
        abort(400)
    if services.set_wish_approval(centre, form.need_approval, actor=current_user):
        if form.need_approval:
            flash(_("New wishes are now public once a coordinator has approved them."), "success")
        else:
            flash(_("New wishes are now public right after they are sent."), "success")
    else:
        flash(_("Nothing has changed."), "warning")
    return redirect(url_for(".manage", slug=slug, _anchor="approval-heading"))


@bp.post("/zentren/<slug>/wuensche/<int:wish_id>/freigeben")
@login_required
def approve(slug: str, wish_id: int):
    wish = _managed_wish(slug, wish_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        approved = services.approve_wish(wish, actor=current_user)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        if approved:
            flash(_("The wish is now on the public list."), "success")
        else:
            flash(_("This wish is on the public list already."), "warning")
    return redirect(url_for(".manage", slug=slug, _anchor="pending-heading"))


@bp.route("/zentren/<slug>/wuensche/<int:wish_id>/ablehnen", methods=["GET", "POST"])
@login_required
def reject(slug: str, wish_id: int):
    wish = _managed_wish(slug, wish_id)
    if not wish.is_pending:
        flash(_("This wish is public already: answer it, or delete it if it is spam."), "warning")
        return redirect(url_for(".answer", slug=slug, wish_id=wish.id))
    form = RejectForm()
    if form.validate_on_submit():
        try:
            mailed = services.reject_wish(wish, form.reason.data or "", actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(_rejected_message(mailed), "success")
            return redirect(url_for(".manage", slug=slug, _anchor="pending-heading"))
    return render_template("wishes/reject.html", centre=wish.centre, wish=wish, form=form)


def _rejected_message(mailed: bool) -> str:
    if mailed:
        return _("The wish has been rejected and deleted; the family gets your reason by mail.")
    return _("The wish has been rejected and deleted.")


@bp.route("/zentren/<slug>/wuensche/<int:wish_id>", methods=["GET", "POST"])
@login_required
def answer(slug: str, wish_id: int):
    wish = _managed_wish(slug, wish_id)
    activities = activity_queries.activities_of(wish.centre)
    data = {"status": wish.status, "activity_id": wish.activity_id or 0, "answer": wish.answer}
    form = AnswerForm(data=data, activities=activities)
    if form.validate_on_submit():
        try:
            changed = services.answer_wish(wish, form.answer_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            message = _answered_message(changed, wish, form.status.data)
            flash(message, "success" if changed else "warning")
            return redirect(url_for(".manage", slug=slug))
    return render_template(
        "wishes/answer.html", centre=wish.centre, wish=wish, form=form,
        delete_form=ActionForm(formdata=None),
    )  # fmt: skip


def _answered_message(changed: bool, wish, asked: str) -> str:
    if asked == "realised" and wish.status == "planned":
        return _(
            "The answer has been saved. The activity has no date yet, so the wish is planned "
            "until its first date."
        )
    if not changed:
        return _("Nothing has changed.")
    if wish.email is not None or wish.status not in services.FINAL_STATUSES:
        return _("The answer has been saved.")
    return _("The answer has been saved and is shown on the wishes page.")


@bp.route("/zentren/<slug>/wuensche/<int:wish_id>/angebot", methods=["GET", "POST"])
@login_required
def realise(slug: str, wish_id: int):
    wish = _managed_wish(slug, wish_id)
    centre = wish.centre
    form = ActivityForm(
        categories=activity_queries.categories_for(centre.id),
        staff=activity_queries.staff_choices(centre, current_user),
        data={"title": wish.title, "description": wish.description,
              "responsible_id": current_user.id},
    )  # fmt: skip
    if form.validate_on_submit():
        try:
            activity = services.realise_wish(wish, form.activity_data(), actor=current_user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            flash(
                _(
                    "The activity has been created and the wish is planned. Now add its dates: "
                    "with the first one, the wish counts as realised."
                ),
                "success",
            )
            return redirect(url_for("activities.add_schedule", slug=slug, activity_id=activity.id))
    return render_template("wishes/realise.html", centre=centre, wish=wish, form=form)


@bp.post("/zentren/<slug>/wuensche/<int:wish_id>/loeschen")
@login_required
def delete(slug: str, wish_id: int):
    wish = _managed_wish(slug, wish_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_wish(wish, actor=current_user)
    except NotFound:
        abort(404)
    flash(_("The wish has been deleted."), "success")
    return redirect(url_for(".manage", slug=slug))
