"""Queue mail inside the caller's transaction; a job delivers it later.

Most mail is written (rendered) when it is queued. A mail that comes in rushes (a sign-up's
confirmation) is queued with ``queue_later``: the row holds its template and a few ids, and
the job that sends it writes it (``written``), so that the request does not."""

from __future__ import annotations

import json
from collections.abc import Callable

import peewee as pw
from flask import current_app, has_request_context
from flask_babel import force_locale, gettext

from volunteer_app.accounts.models import STAFF_ROLES, User
from volunteer_app.centres.models import CentreMembership
from volunteer_app.common.forms import clean_text
from volunteer_app.db import Prepared, db, utcnow
from volunteer_app.notifications.models import OutboxMessage

#: Mails to coordinators and administrators (staff pages and mails stay German and English).
STAFF_MAILS = frozenset(
    {
        "invitation",
        "digest",
        "match_answered",
        "erasure_signups_cancelled",
        "certificate_requested",
        "signup_awaiting_approval",
        "cant_come",
    }
)


def queue_mail(recipient: str, template: str, locale: str = "de", **context) -> OutboxMessage:
    """Render ``emails/<template>.txt`` and ``.html`` in the recipient's language and queue them.

    The template sets the subject with ``{% set subject = _("…") %}`` in a block
    ``subject``. Call this inside the service's transaction, so that the mail
    exists exactly when the change it reports does. Mails to staff are written in a staff
    language (German unless the recipient chose English).
    """
    locale = _mail_locale(template, locale)
    subject, text, html = _render(template, locale, context)
    return OutboxMessage.create(
        recipient=_address(recipient),
        locale=locale,
        subject=subject or gettext("Message"),
        body_text=text,
        body_html=html,
    )


def _mail_locale(template: str, locale: str) -> str:
    if template in STAFF_MAILS and locale not in current_app.config["STAFF_LANGUAGES"]:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale


def _address(recipient: str) -> str:
    return recipient.replace("\r", "").replace("\n", "")


def _render(template: str, locale: str, context: dict) -> tuple[str, str, str]:
    """Subject (one line), text and HTML of ``emails/<template>`` in ``locale``."""
    with force_locale(locale):
        # What render_template does, with the context processors run once for the three.
        app = current_app._get_current_object()
        app.update_template_context(context)
        text = app.jinja_env.get_template(f"emails/{template}.txt").render(context)
        html = app.jinja_env.get_template(f"emails/{template}.html").render(context)
        subject = app.jinja_env.get_template(f"emails/{template}.subject.txt").render(context)
    # No CR/LF may reach a mail header.
    return clean_text(subject).replace("\r", " ").replace("\n", " ")[:250], text, html


# --- Mail written when it is sent --------------------------------------------------------------

#: Per template queued with ``queue_later``: the function that builds its context from the
#: row's parameters when the mail is written (``written``).
_CONTEXTS: dict[str, Callable[[dict, OutboxMessage], dict]] = {}


def written_later(*templates: str):
    """Register ``context(params, row) -> dict`` for these templates (a decorator): it reads
    what the mail shows from the ids in ``params`` when the mail is written, and raises
    ``NotFound`` if that is gone (the mail then fails without being sent)."""

    def register(context: Callable[[dict, OutboxMessage], dict]):
        for template in templates:
            _CONTEXTS[template] = context
        return context

    return register


def _later_row(recipient, locale, template, params, now, created) -> dict:
    """The columns of a row queued with ``queue_later`` (values or SQL expressions)."""
    return {
        OutboxMessage.recipient: recipient,
        OutboxMessage.locale: locale,
        OutboxMessage.subject: "",
        OutboxMessage.body_text: "",
        OutboxMessage.body_html: "",
        OutboxMessage.status: "pending",
        OutboxMessage.attempts: 0,
        OutboxMessage.next_attempt_at: now,
        OutboxMessage.last_error: "",
        OutboxMessage.created_at: created,
        OutboxMessage.template: template,
        OutboxMessage.params: params,
    }


def _later_insert(recipient, locale, template, params, now, created):
    return OutboxMessage.insert(_later_row(recipient, locale, template, params, now, created))


_QUEUE_LATER = Prepared(_later_insert, "queue_later")


def queue_later(recipient: str, template: str, locale: str = "de", **params) -> int:
    """Queue a mail that the job sending it writes: only the template's name and ``params``
    (ids and numbers, JSON) are stored now, in one ``INSERT`` whose SQL is built once; the
    context comes from the function registered with ``written_later``. Same place in the
    service's transaction and same language rules as ``queue_mail``; returns the row's id.

    For the mail of a rush: writing the three parts takes longer than the rest of a sign-up.
    In development without ``BASE_URL`` the links follow the request's address, which the
    job does not know: there the mail is written at once."""
    locale = _mail_locale(template, locale)
    params = {name: value for name, value in params.items() if value is not None}
    if not writes_later():
        row = OutboxMessage(template=template, params=json.dumps(params), created_at=utcnow())
        mail = queue_mail(recipient, template, locale, **_CONTEXTS[template](params, row))
        return mail.id
    now = utcnow()
    cursor = _QUEUE_LATER.execute(
        _address(recipient), locale, template, json.dumps(params, separators=(",", ":")), now, now
    )
    return cursor.fetchall()[0][0] if db.obj.returning_clause else cursor.lastrowid


def writes_later() -> bool:
    """Whether ``queue_later`` stores only the template and its parameters now (the job that
    sends the mail writes it): not in development without ``BASE_URL`` during a request."""
    return not (current_app.config["BASE_URL_FROM_REQUEST"] and has_request_context())


def later_address(recipient: str, template: str, locale: str) -> tuple[str, str]:
    """The recipient's address and the mail's language as ``queue_later`` stores them."""
    return _address(recipient), _mail_locale(template, locale)


def later_insert_from(source: pw.CTE, template: str, recipient, locale, created, **params):
    """``queue_later``'s ``INSERT`` as a part of a larger statement (PostgreSQL: a ``WITH``
    that writes several tables in one round trip): one mail per row of ``source`` (another
    part of that statement), its ``params`` SQL expressions of that row's columns (the id
    of a row the statement inserts, say), stored as a JSON object. ``recipient`` and
    ``locale`` as ``later_address`` gives them, ``created`` the row's time; each may be a
    parameter or an expression. Only where ``writes_later()``."""
    pairs = [
        part for name, value in params.items() for part in (pw.Value(name).cast("text"), value)
    ]
    row = _later_row(
        recipient, locale, template, pw.fn.json_build_object(*pairs).cast("text"), created, created
    )
    return OutboxMessage.insert_from(pw.Select([source], list(row.values())), list(row))


def written(row: OutboxMessage) -> tuple[str, str, str]:
    """(subject, text, HTML) of a row queued with ``queue_later``, written now in the row's
    language from what its parameters point to. ``NotFound`` if that is gone."""
    context = _CONTEXTS[row.template](json.loads(row.params or "{}"), row)
    subject, text, html = _render(row.template, row.locale, context)
    with force_locale(row.locale):
        return subject or gettext("Message"), text, html


def tell_coordinators(centre_id: int, template: str, **context) -> int:
    """Queue ``template`` to every active coordinator of the centre, each in their staff
    language with ``user`` set to them (inside the caller's transaction; one query).
    Returns the number of mails queued."""
    staff = (
        User.select(User.id, User.email, User.name, User.locale)
        .join(CentreMembership, on=(CentreMembership.user == User.id))
        .where(
            (CentreMembership.centre == centre_id)
            & User.role.in_(STAFF_ROLES)
            & (User.is_active == True)  # noqa: E712
        )
        .order_by(User.id)
    )
    count = 0
    for user in staff:
        queue_mail(user.email, template, locale=user.locale, user=user, **context)
        count += 1
    return count
