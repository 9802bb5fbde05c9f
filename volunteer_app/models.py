"""The model registry: every feature's ``MODELS``, in foreign-key order.

``db.py`` binds the database and knows no feature; each feature's ``models.py`` imports
``db`` and ends with a ``MODELS`` list; this module, above both, collects those lists. A new
feature package adds its ``MODELS`` here (``tests/test_no_cycles.py`` fails on a model that
is missing). The migrations helper, the test database and the benchmarks create and compare
exactly these tables.
"""

from __future__ import annotations

import functools

import peewee as pw

from volunteer_app.accounts.models import MODELS as accounts
from volunteer_app.activities.models import MODELS as activities
from volunteer_app.allowances.models import MODELS as allowances
from volunteer_app.audit.models import MODELS as audit
from volunteer_app.centres.models import MODELS as centres
from volunteer_app.checkin.models import MODELS as checkin
from volunteer_app.checks.models import MODELS as checks
from volunteer_app.companions.models import MODELS as companions
from volunteer_app.db import BaseModel
from volunteer_app.erasure.models import MODELS as erasure
from volunteer_app.feeds.models import MODELS as feeds
from volunteer_app.imports.models import MODELS as imports
from volunteer_app.messaging.models import MODELS as messaging
from volunteer_app.notifications.models import MODELS as notifications
from volunteer_app.partners.models import MODELS as partners
from volunteer_app.privacy.models import MODELS as privacy
from volunteer_app.programme.models import MODELS as programme
from volunteer_app.proposals.models import MODELS as proposals
from volunteer_app.recognition.models import MODELS as recognition
from volunteer_app.reports.models import MODELS as reports
from volunteer_app.retention.models import MODELS as retention
from volunteer_app.revisions.models import MODELS as revisions
from volunteer_app.rooms.models import MODELS as rooms
from volunteer_app.signups.models import MODELS as signups
from volunteer_app.tokens.models import MODELS as tokens
from volunteer_app.volunteers.models import MODELS as volunteers
from volunteer_app.wishes.models import MODELS as wishes

FEATURE_MODELS: tuple[list, ...] = (
    accounts,
    centres,
    notifications,
    activities,
    signups,
    companions,
    checkin,
    volunteers,
    imports,
    checks,
    audit,
    feeds,
    partners,
    programme,
    proposals,
    reports,
    allowances,
    recognition,
    rooms,
    wishes,
    messaging,
    privacy,
    erasure,
    retention,
    tokens,
    revisions,
)


def all_models() -> list[type[BaseModel]]:
    """Every model, in foreign-key order (a table comes after the tables it references)."""
    return list(_sorted_models())


@functools.cache
def _sorted_models() -> tuple[type[BaseModel], ...]:
    return tuple(pw.sort_models([model for models in FEATURE_MODELS for model in models]))
