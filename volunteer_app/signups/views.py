"""Volunteer pages: browse open slots, a slot's page, signing up and cancelling, my slots."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from volunteer_app.activities.texts import current_language, page_texts
from volunteer_app.checks.queries import has_valid_certificate
from volunteer_app.common.errors import DomainError, NotFound
from volunteer_app.common.forms import apply_domain_error
from volunteer_app.common.refusal import current_refusal
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import safe_next
from volunteer_app.companions.forms import ActionForm as FamilyActionForm
from volunteer_app.companions.forms import CompanionsForm
from volunteer_app.companions.queries import slot_family
from volunteer_app.db import utcnow
from volunteer_app.signups import queries, services
from volunteer_app.signups.forms import ActionForm, CantComeForm, SlotFilterForm

bp = Blueprint("signups", __name__)

PER_PAGE = 30
MAX_PAGE = 1000


@bp.get("/termine/")
@login_required
def browse():
    choices = queries.filter_choices()
    form = SlotFilterForm(request.args, choices=choices)
    form.validate()
    filters = form.filters()
    page = min(max(request.args.get("seite", 1, type=int), 1), MAX_PAGE)
    profile = queries.fit_profile(current_user) if filters.fits_me else None
    language = current_language()
    rows, has_next = queries.browse_rows(
        filters,
        viewer=current_user,
        language=language,
        profile=profile,
        page=page,
        per_page=PER_PAGE,
    )
    # Only the filters travel into the page links (never url_for's own "_external" etc.).
    args = {k: v for k, v in request.args.items() if k in form.data}
    return render_template(
        "signups/browse.html",
        form=form,
        filter_form=_filter_form(form, choices),
        cards=_cards(rows, language),
        page=page,
        has_next=has_next,
        args=args,
        profile=profile,
    )


# The filters as rendered, by language, choices and the filters' part of the query: the same
# for most visits, and a hundred options and five fields through WTForms cost more than the
# rest of the page. Bounded: emptied when full.
_FILTER_FORMS: dict[tuple, Markup] = {}
_FILTER_FORMS_KEPT = 256


def _filter_form(form: SlotFilterForm, choices: queries.FilterChoices) -> Markup:
    """signups/_filters.html for ``form``, rendered once per language, choices and query."""
    template = current_app.jinja_env.get_template("signups/_filters.html")
    if current_refusal() is not None:  # the form was not validated: not the usual page
        return Markup(template.render(form=form))  # noqa: S704
    args = tuple((name, tuple(request.args.getlist(name))) for name in form.data)
    key = (current_language(), request.script_root, choices, args)
    html = _FILTER_FORMS.get(key)
    if html is None:
        if len(_FILTER_FORMS) >= _FILTER_FORMS_KEPT:
            _FILTER_FORMS.clear()
        html = _FILTER_FORMS[key] = Markup(template.render(form=form))  # noqa: S704
    return html


# The cards as written (signups/_card.html), by language, address root and row: the
# soonest dates head every volunteer's list, and a card's words, link and badges depend on
# nothing else (its row holds the viewer's own status). Bounded: emptied when full.
_CARDS: dict[tuple, Markup] = {}
_CARDS_KEPT = 4096


def _cards(rows: list[tuple], language: str) -> list[Markup]:
    """Each row's card as HTML, made (``queries.CardWords``) and written once per language
    and content."""
    root = request.script_root
    out, words, module = [], None, None
    for row in rows:
        key = (language, root, row)
        html = _CARDS.get(key)
        if html is None:
            if module is None:  # the words, the fixed texts and the link, once per request
                words = queries.CardWords(language)
                template = current_app.jinja_env.get_template("signups/_card.html")
                module = template.make_module()
            if len(_CARDS) >= _CARDS_KEPT:
                _CARDS.clear()
            html = _CARDS[key] = Markup(module.card(words.card(row)))  # noqa: S704
        out.append(html)
    return out


@bp.get("/termine/<int:slot_id>")
@login_required
def show_slot(slot_id: int):
    return _slot_page(slot_id)


def _slot_page(slot_id: int, cant_come_form: CantComeForm | None = None):
    slot = queries.slot_details(slot_id) or abort(404)
    signup = queries.my_signup(slot.id, current_user.id)
    status = signup.status if signup is not None else None
    activity, now, deadline = slot.activity, utcnow(), services.cancel_deadline(slot)
    started, past_deadline = slot.starts_at <= now, now > deadline
    # "I can't come" is offered only to a confirmed person after the cancelling deadline and
    # before the start (signups/slot.html): only then is its form made.
    if cant_come_form is None and status == "confirmed" and past_deadline and not started:
        cant_come_form = CantComeForm(formdata=None)
    family = slot_family(slot, current_user)
    return render_template(
        "signups/slot.html",
        slot=slot,
        signup=signup,
        position=queries.waitlist_position(signup) if status == "waitlisted" else None,
        started=started,
        deadline=deadline,
        past_deadline=past_deadline,
        needs_certificate=activity.is_child_facing
        and not has_valid_certificate(
            current_user.id, activity.centre_id, to_berlin(slot.starts_at).date()
        ),
        form=ActionForm(formdata=None),
        cant_come_form=cant_come_form,
        texts=page_texts([activity.id]),
        family=family,
        companions_form=CompanionsForm(formdata=None, children=family.children),
        family_form=FamilyActionForm(formdata=None),
    )


@bp.post("/termine/<int:slot_id>/anmelden")
@login_required
def sign_up(slot_id: int):
    # The form is one button: its CSRF token was checked before the view (common/refusal.py).
    # Not refused means valid, as ``ActionForm().validate_on_submit()`` would say, without
    # building the form and signing a new token for a page this redirect does not show.
    if current_refusal() is not None:
        abort(400)
    try:
        result = services.sign_up(slot_id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(*_outcome_flash(result))
    return redirect(url_for(".show_slot", slot_id=slot_id))


@bp.post("/termine/<int:slot_id>/abmelden")
@login_required
def cancel(slot_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    signup = queries.my_signup(slot_id, current_user.id) or abort(404)
    try:
        services.cancel_signup(signup.id, actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Your sign-up has been cancelled. We have sent you a confirmation."), "success")
    return redirect(safe_next(form.next.data, url_for(".show_slot", slot_id=slot_id)))


@bp.post("/termine/<int:slot_id>/kann-nicht")
@login_required
def cant_come(slot_id: int):
    """After the cancellation deadline: "I can't come", with an optional reason."""
    signup = queries.my_signup(slot_id, current_user.id) or abort(404)
    form = CantComeForm()
    if form.validate_on_submit():
        try:
            services.cant_come(signup.id, form.reason.data or "", actor=current_user)
        except NotFound:
            abort(404)
        except DomainError as exc:
            if exc.field is None:  # the state changed meanwhile: the page says what now
                flash(exc.message, "error")
                return redirect(url_for(".show_slot", slot_id=slot_id))
            apply_domain_error(form, exc)
        else:
            flash(
                _(
                    "Thank you for telling us. The coordinators have been told at once, and "
                    "your place is free for somebody else."
                ),
                "success",
            )
            return redirect(url_for(".show_slot", slot_id=slot_id))
    return _slot_page(slot_id, cant_come_form=form)


@bp.get("/meine-termine")
@login_required
def my_slots():
    upcoming, past = queries.my_upcoming(current_user), queries.my_past(current_user)
    return render_template(
        "signups/my_slots.html",
        upcoming=upcoming,
        past=past,
        total_hours=queries.my_hours(current_user),
        format_hours=lambda hours: format_decimal(hours, "#,##0.##"),
        texts=page_texts(signup.slot.activity.id for signup in upcoming + past),
    )


def _outcome_flash(result: services.SignupResult) -> tuple[str, str]:
    if result.outcome == "confirmed":
        return _("You are signed up. Thank you! We have sent you a confirmation."), "success"
    if result.outcome == "pending":
        return (
            _(
                "Thank you! The coordinators will confirm your sign-up. You will get an "
                "e-mail as soon as they have decided."
            ),
            "success",
        )
    return (
        _(
            "This slot is full, so you are on the waitlist (place %(position)s). We will "
            "e-mail you as soon as a place becomes free for you.",
            position=result.position or queries.waitlist_position(result.signup),
        ),
        "warning",
    )
