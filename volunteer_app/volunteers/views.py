"""The volunteer's own profile: interests, weekly times, centres, limits, languages, reminders."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.common.errors import DomainError
from volunteer_app.volunteers import queries, services
from volunteer_app.volunteers.forms import ENDONYMS, ProfileForm

bp = Blueprint("volunteers", __name__)


def _render(form: ProfileForm, profile: queries.ProfileData, blank_rows: int = 0):
    # Custom categories of the centres saved or ticked now, and whatever is saved or ticked.
    centre_ids = set(profile.centre_ids) | set(form.centre_ids.data or [])
    keep = set(profile.interest_ids) | set(form.interest_ids.data or [])
    form.add_blank_windows(blank_rows)
    page = render_template(
        "volunteers/profile.html",
        form=form,
        profile=profile,
        interests=queries.interest_choices(centre_ids, keep),
        centre_groups=queries.centre_groups(),
        endonyms=ENDONYMS,
    )
    return page


@bp.route("/mein-engagement/profil", methods=["GET", "POST"])
@login_required
def edit_profile():
    profile = queries.profile_for(current_user.id)
    if request.method == "GET":
        form = ProfileForm.for_profile(profile)
        return _render(form, profile, blank_rows=1 if profile.windows else 2)
    form = ProfileForm()
    if "add_window" in request.form:  # one more empty row; nothing is saved yet
        return _render(form, profile, blank_rows=1)
    if form.validate_on_submit():
        try:
            services.update_preferences(current_user, form.to_input(), actor=current_user)
        except services.PreferencesInvalid as exc:
            form.show_errors(exc.errors)
        except DomainError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(_("Your profile is saved. Thank you!"), "success")
            return redirect(url_for("volunteers.edit_profile"))
    return _render(form, profile)
