"""Routes of the check-in: scanning a code, the button that checks in, the tablet page, the
poster and the coordinators' desk page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.activities.texts import page_texts
from volunteer_app.centres.access import managed_centre
from volunteer_app.centres.queries import centre_by_slug, today
from volunteer_app.checkin import codes, queries, services
from volunteer_app.checkin.forms import SCAN_AGAIN, CheckInForm
from volunteer_app.checkin.models import CheckinPoint
from volunteer_app.common.errors import DomainError
from volunteer_app.common.forms import ActionForm
from volunteer_app.common.urls import external_url
from volunteer_app.db import utcnow
from volunteer_app.extensions import configured_limit, limiter
from volunteer_app.feeds import qr
from volunteer_app.i18n import ENDONYMS, web_code

bp = Blueprint("checkin", __name__)


def _key() -> str:
    return current_app.config["SECRET_KEY"]


def _tablet_url(point: CheckinPoint, slug: str) -> str | None:
    if not point.has_tablet:
        return None
    token = codes.tablet_token(_key(), point.tablet_seed)
    return external_url("checkin.tablet", slug=slug, token=token)


def _grant_problem(exc: codes.GrantRefused) -> str:
    if exc.expired:
        return _(
            "Too much time has passed since you scanned the code. Please scan the code at "
            "the entrance again."
        )
    return str(SCAN_AGAIN)


# --- The volunteer at the door -------------------------------------------------------------


@bp.get("/ankommen/<slug>/<code>")
@limiter.limit(configured_limit("RATELIMIT_CHECKIN"))
def scan(slug: str, code: str):
    """The address in a QR code: a good code leads on (through the log-in) to the button."""
    centre = centre_by_slug(slug) or abort(404)
    point = queries.point_of(centre.id)
    verdict = "invalid"
    if point is not None:
        step = codes.step_at(utcnow())
        verdict = codes.verdict(
            code,
            secret_key=_key(),
            code_seed=point.code_seed,
            poster_seed=point.poster_seed,
            step=step,
        )
    if verdict in ("expired", "invalid"):
        page = render_template(
            "checkin/code_refused.html", centre=centre, expired=verdict == "expired"
        )
        return page, 410 if verdict == "expired" else 404
    grant = codes.make_grant(_key(), codes.Grant(centre.id, verdict))
    target = url_for(".arrive", slug=centre.slug, g=grant)
    if not current_user.is_authenticated:
        flash(_("Please log in. Then one tap checks you in."), "info")
        return redirect(url_for("accounts.login", next=target))
    return redirect(target)


@bp.get("/ankommen/<slug>")
@login_required
def arrive(slug: str):
    centre = centre_by_slug(slug) or abort(404)
    token, problem = request.args.get("g", ""), None
    if token:
        try:
            codes.read_grant(_key(), token, centre.id)
        except codes.GrantRefused as exc:
            token, problem = "", _grant_problem(exc)
    status = queries.arrival(current_user.id, centre.id, utcnow())
    return render_template(
        "checkin/arrive.html",
        centre=centre,
        status=status,
        form=CheckInForm(formdata=None, grant=token) if token else None,
        problem=problem,
        texts=page_texts(status.activity_ids),
    )


@bp.post("/ankommen/<slug>")
@login_required
def check_in(slug: str):
    centre = centre_by_slug(slug) or abort(404)
    form = CheckInForm()
    back = url_for(".arrive", slug=centre.slug)
    if not form.validate_on_submit():
        flash(str(SCAN_AGAIN), "error")
        return redirect(back)
    try:
        grant = codes.read_grant(_key(), form.grant.data, centre.id)
    except codes.GrantRefused as exc:
        flash(_grant_problem(exc), "error")
        return redirect(back)
    try:
        services.check_in(centre.id, grant.method, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("You are checked in. Thank you for coming!"), "success")
    return redirect(back)


# --- The tablet at the entrance --------------------------------------------------------------


def _tablet_point(slug: str, token: str) -> CheckinPoint | None:
    """The check-in whose tablet link this is (None: unknown, renewed or switched off)."""
    point = queries.point_by_slug(slug)
    expected = codes.tablet_token(_key(), point.tablet_seed) if point and point.has_tablet else ""
    return point if expected and codes.same(token, expected) else None


def _tablet_code(point: CheckinPoint) -> dict:
    """This minute's QR code, the time it shows and the seconds until the next one."""
    now = utcnow()
    code = codes.minute_code(_key(), point.code_seed, codes.step_at(now))
    url = external_url("checkin.scan", slug=point.centre.slug, code=code)
    label = _("QR code: check in at %(centre)s", centre=point.centre.name)
    return {
        "svg": qr.svg(url, 8, label=label),
        "time": format_time(now, "short"),
        "next": codes.seconds_left(now) + 1,
    }


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/zentren/<slug>/eingang/<token>")
def tablet(slug: str, token: str):
    """The tablet page: reached by its secret address alone (no log-in, so it may stay open
    all day), a QR code of this minute; a small script fetches the next one each minute."""
    point = _tablet_point(slug, token)
    if point is None:
        centre = centre_by_slug(slug)
        return _no_store(make_response(render_template("checkin/tablet.html", centre=centre), 404))
    page = render_template(
        "checkin/tablet.html",
        centre=point.centre,
        code=_tablet_code(point),
        # In the page's language (the script sends no cookie that would tell it).
        code_url=url_for(".tablet_code", slug=slug, token=token, lang=web_code(str(get_locale()))),
    )
    return _no_store(make_response(page))


@bp.get("/zentren/<slug>/eingang/<token>/code")
def tablet_code(slug: str, token: str):
    """The tablet page's next code, as JSON: ``svg``, ``time`` and ``next`` (seconds)."""
    point = _tablet_point(slug, token) or abort(404)
    return _no_store(jsonify(_tablet_code(point)))


# --- The coordinators' desk --------------------------------------------------------------------


@bp.get("/zentren/<slug>/ankunft")
@login_required
def desk(slug: str):
    centre = managed_centre(slug)
    point = queries.point_of(centre.id)
    tablet_url = _tablet_url(point, centre.slug) if point else None
    tablet_qr = qr.svg(tablet_url, 5, label=_("QR code of the tablet link")) if tablet_url else None
    return render_template(
        "checkin/desk.html",
        centre=centre,
        point=point,
        tablet_url=tablet_url,
        tablet_qr=tablet_qr,
        arrivals=queries.arrivals_on(centre.id, today()),
        poster_languages=[
            (web_code(code), ENDONYMS[code]) for code in current_app.config["LANGUAGES"]
        ],
        action_form=ActionForm(formdata=None),
    )


@bp.get("/zentren/<slug>/ankunft/aushang")
@login_required
def poster(slug: str):
    centre = managed_centre(slug)
    point = queries.point_of(centre.id)
    if point is None:
        flash(_("Please switch the check-in on first."), "error")
        return redirect(url_for(".desk", slug=centre.slug))
    code = codes.poster_code(_key(), point.poster_seed)
    url = external_url("checkin.scan", slug=centre.slug, code=code)
    label = _("QR code: check in at %(centre)s", centre=centre.name)
    return render_template(
        "checkin/poster.html",
        centre=centre,
        point=point,
        scan_url=url,
        qr_svg=qr.svg(url, 10, label=label),
    )


def _desk_action(slug: str, action, message: str):
    """One button of the desk page: run the service, say what happened, back to the desk."""
    centre = managed_centre(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(centre, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(message, "success")
    return redirect(url_for(".desk", slug=centre.slug))


@bp.post("/zentren/<slug>/ankunft/einschalten")
@login_required
def set_up(slug: str):
    return _desk_action(
        slug,
        services.set_up,
        _("The check-in is on. Open the tablet link on the tablet, or print the poster."),
    )


@bp.post("/zentren/<slug>/ankunft/tablet-link")
@login_required
def renew_tablet_link(slug: str):
    return _desk_action(
        slug,
        services.renew_tablet_link,
        _("The tablet has a new link: open it on the tablet. The old link no longer works."),
    )


@bp.post("/zentren/<slug>/ankunft/tablet-link/aus")
@login_required
def switch_off_tablet_link(slug: str):
    return _desk_action(
        slug,
        services.switch_off_tablet_link,
        _("The tablet link is switched off. The poster still works."),
    )


@bp.post("/zentren/<slug>/ankunft/aushang/neu")
@login_required
def renew_poster_code(slug: str):
    return _desk_action(
        slug,
        services.renew_poster_code,
        _("The poster has a new code: please print it again. Old posters no longer work."),
    )
