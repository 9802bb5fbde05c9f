"""ThEKiZ volunteer and activity coordination service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from config import Config, config_from_env

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Application factory: config -> extensions -> db -> blueprints -> errors -> cli."""
    # Flask is imported here, not at the top: `python -m volunteer_app.matching` (and any other
    # engine-only use of the package) then does not pay for importing Flask and Werkzeug.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    config_class = config_class or config_from_env()
    config_class.check()
    app = Flask(
        __name__,
        template_folder=config_class.TEMPLATES_DIR,
        instance_relative_config=False,
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    from volunteer_app.common.urls import IdConverter

    # Before any route is added: every <int:…> is a row id within the database's range.
    app.url_map.converters["int"] = IdConverter
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    from volunteer_app import db, extensions, i18n
    from volunteer_app.common import security

    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    from volunteer_app.common.forms import field_attrs, kept_field

    app.jinja_env.globals.update(field_attrs=field_attrs, kept_field=kept_field)
    from volunteer_app.common.urls import base_url, external_url, url_pattern

    # Absolute links in pages and mails: the configured BASE_URL, never the Host header.
    app.jinja_env.globals.update(base_url=base_url, external_url=external_url)
    # Per-row links built from one url_for per page (common/urls.py).
    app.jinja_env.globals["url_pattern"] = url_pattern
    db.init_app(app)
    security.init_app(app)
    from volunteer_app.common import layout

    layout.init_app(app)

    from volunteer_app.accounts import auth
    from volunteer_app.accounts.views import bp as accounts_bp
    from volunteer_app.activities.views import bp as activities_bp
    from volunteer_app.admin.views import bp as admin_bp
    from volunteer_app.allowances.views import bp as allowances_bp
    from volunteer_app.centres.views import bp as centres_bp
    from volunteer_app.checkin.views import bp as checkin_bp
    from volunteer_app.checks.views import bp as checks_bp
    from volunteer_app.companions.views import bp as companions_bp
    from volunteer_app.coordination.views import bp as coordination_bp
    from volunteer_app.core.views import bp as core_bp
    from volunteer_app.erasure.views import bp as erasure_bp
    from volunteer_app.feeds.views import bp as feeds_bp
    from volunteer_app.imports.views import bp as imports_bp
    from volunteer_app.messaging.views import bp as messaging_bp
    from volunteer_app.partners.views import bp as partners_bp
    from volunteer_app.privacy.views import bp as privacy_bp
    from volunteer_app.programme.views import bp as programme_bp
    from volunteer_app.proposals.views import bp as proposals_bp
    from volunteer_app.recognition.views import bp as recognition_bp
    from volunteer_app.reports.views import bp as reports_bp
    from volunteer_app.rooms.views import bp as rooms_bp
    from volunteer_app.signups.views import bp as signups_bp
    from volunteer_app.tokens.views import bp as tokens_bp
    from volunteer_app.volunteers.views import bp as volunteers_bp
    from volunteer_app.wishes.views import bp as wishes_bp

    auth.init_app(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(centres_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(activities_bp)
    app.register_blueprint(signups_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(coordination_bp)
    for feature_bp in (
        programme_bp,
        feeds_bp,
        proposals_bp,
        partners_bp,
        rooms_bp,
        wishes_bp,
        reports_bp,
        privacy_bp,
        erasure_bp,
        checks_bp,
        checkin_bp,
        messaging_bp,
        companions_bp,
        recognition_bp,
        allowances_bp,
        imports_bp,
        tokens_bp,
    ):
        app.register_blueprint(feature_bp)

    from volunteer_app.common import handlers

    handlers.init_app(app)

    from volunteer_app import api

    # After the error handlers: under /api/ they answer problems (api/problems.py).
    api.init_app(app)

    from volunteer_app import cli

    cli.init_app(app)
    return app
