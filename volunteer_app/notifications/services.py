"""Queue mail inside the caller's transaction; a job delivers it later."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from volunteer_app.accounts.models import STAFF_ROLES, User
from volunteer_app.centres.models import CentreMembership
from volunteer_app.common.forms import clean_text
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
    if template in STAFF_MAILS and locale not in current_app.config["STAFF_LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        # What render_template does, with the context processors run once for the three.
        app = current_app._get_current_object()
        app.update_template_context(context)
        text = app.jinja_env.get_template(f"emails/{template}.txt").render(context)
        html = app.jinja_env.get_template(f"emails/{template}.html").render(context)
        subject = app.jinja_env.get_template(f"emails/{template}.subject.txt").render(context)
    # No CR/LF may reach a mail header.
    subject = clean_text(subject).replace("\r", " ").replace("\n", " ")[:250]
    return OutboxMessage.create(
        recipient=recipient.replace("\r", "").replace("\n", ""),
        locale=locale,
        subject=subject or gettext("Message"),
        body_text=text,
        body_html=html,
    )


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
