"""Pages of API tokens: one's own personal tokens (every language), a centre's service
tokens (its coordinators), an operator's (administrators). A new token's secret is shown
once, in the answer to the form that made it (never in a redirect, flash or session), with
``Cache-Control: no-store``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.accounts.auth import role_required
from volunteer_app.admin.queries import operator_by_id
from volunteer_app.centres.access import managed_centre
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.common.forms import ActionForm, apply_domain_error
from volunteer_app.tokens import queries, services
from volunteer_app.tokens.forms import TokenForm

bp = Blueprint("tokens", __name__)

API_DOCS_URL = "/api/v1/docs"


def _page(template: str, form: TokenForm, created=None, **context):
    """The page; with ``created`` (row, raw token) it shows the secret once."""
    resp = make_response(
        render_template(
            template,
            form=form,
            created=created,
            revoke_form=ActionForm(formdata=None),
            api_docs_url=API_DOCS_URL,
            **context,
        ),
        400 if form.errors or form.form_errors else 200,
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _create(form: TokenForm, make):
    """Call ``make(name, scopes, expires_at)`` for a valid form: (row, raw) or None."""
    if not form.validate_on_submit():
        return None
    try:
        return make(form.name.data, form.scopes.data or [], form.expires_at())
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None


def _revoke(token_id: int, shown: set[int], back: str):
    if token_id not in shown or not ActionForm().validate_on_submit():
        abort(404 if token_id not in shown else 400)
    try:
        token = services.revoke_token(token_id, actor=current_user)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _("The token “%(name)s” was revoked. It no longer works.", name=token.name), "success"
        )
    return redirect(back)


# --- personal tokens ---------------------------------------------------------------------


@bp.route("/konto/api-zugaenge", methods=["GET", "POST"])
@login_required
def my_tokens():
    form = TokenForm(kind="personal", role=current_user.role)
    created = _create(
        form,
        lambda name, scopes, expires_at: services.create_personal_token(
            name, scopes, actor=current_user, expires_at=expires_at
        ),
    )
    if created:
        form = TokenForm(formdata=None, kind="personal", role=current_user.role)
    tokens = queries.personal_tokens(current_user.id)
    return _page("tokens/mine.html", form, created, tokens=tokens)


@bp.post("/konto/api-zugaenge/<int:token_id>/widerrufen")
@login_required
def revoke_my_token(token_id: int):
    shown = queries.token_ids(queries.personal_tokens(current_user.id))
    return _revoke(token_id, shown, url_for(".my_tokens"))


# --- a centre's service tokens -------------------------------------------------------------


@bp.route("/zentren/<slug>/api-zugaenge", methods=["GET", "POST"])
@login_required
def centre_tokens(slug: str):
    centre = managed_centre(slug)
    form = TokenForm(kind="service")
    created = _create(
        form,
        lambda name, scopes, expires_at: services.create_service_token(
            name, scopes, centre=centre, actor=current_user, expires_at=expires_at
        ),
    )
    if created:
        form = TokenForm(formdata=None, kind="service")
    tokens = queries.centre_tokens(centre)
    return _page("tokens/centre.html", form, created, centre=centre, tokens=tokens)


@bp.post("/zentren/<slug>/api-zugaenge/<int:token_id>/widerrufen")
@login_required
def revoke_centre_token(slug: str, token_id: int):
    centre = managed_centre(slug)
    shown = queries.token_ids(queries.centre_tokens(centre))
    return _revoke(token_id, shown, url_for(".centre_tokens", slug=centre.slug))


# --- an operator's service tokens (administrators) ----------------------------------------


@bp.route("/verwaltung/traeger/<int:operator_id>/api-zugaenge", methods=["GET", "POST"])
@role_required("admin")
def operator_tokens(operator_id: int):
    operator = operator_by_id(operator_id) or abort(404)
    form = TokenForm(kind="service")
    created = _create(
        form,
        lambda name, scopes, expires_at: services.create_service_token(
            name, scopes, operator=operator, actor=current_user, expires_at=expires_at
        ),
    )
    if created:
        form = TokenForm(formdata=None, kind="service")
    tokens = queries.operator_tokens(operator.id)
    return _page("tokens/operator.html", form, created, operator=operator, tokens=tokens)


@bp.post("/verwaltung/traeger/<int:operator_id>/api-zugaenge/<int:token_id>/widerrufen")
@role_required("admin")
def revoke_operator_token(operator_id: int, token_id: int):
    operator = operator_by_id(operator_id) or abort(404)
    shown = queries.token_ids(queries.operator_tokens(operator.id))
    return _revoke(token_id, shown, url_for(".operator_tokens", operator_id=operator.id))
