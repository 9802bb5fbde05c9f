"""The privacy notice and the imprint tell the truth (issue 10, part 6).

Both pages are generated from configuration: the controller, its data-protection contact,
the legal bases, the recipients and the retention periods, the periods under the same
setting names the retention job reads. Production refuses to start without the controller.
"""

from __future__ import annotations

import html
import re

import pytest

import config
from tests.factories import make_centre, make_coordinator
from volunteer_app import create_app
from volunteer_app.core import legal
from volunteer_app.db import db

PERIODS = {
    "DELETION_GRACE_DAYS": 21,
    "RETENTION_INACTIVE_MONTHS": 18,
    "RETENTION_UNCONFIRMED_DAYS": 5,
    "RETENTION_OUTBOX_DAYS": 60,
    "AUDIT_RETENTION_YEARS": 4,
    "RETENTION_CHECK_START_MONTHS": 2,
    "RETENTION_CHECK_END_MONTHS": 1,
    "SERVER_LOG_RETENTION_DAYS": 30,
}


def _text(response) -> str:
    """The page as a person reads it: tags gone, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body))


def _page(client, path: str, lang: str = "de") -> str:
    with client.session_transaction() as sess:
        sess["lang"] = lang
    response = client.get(path)
    assert response.status_code == 200
    return _text(response)


# --- Privacy notice ----------------------------------------------------------------------------


def test_notice_names_the_controller_and_the_data_protection_contact(app, client):
    app.config.update(
        CONTROLLER_NAME="Familienzentren Saaletal e. V.",
        CONTROLLER_ADDRESS="Am Markt 3, 07407 Rudolstadt",
        CONTROLLER_EMAIL="info@fz-saaletal.de",
        CONTROLLER_PHONE="03672 123456",
        DPO_NAME="Dora Datenschutz",
        DPO_EMAIL="datenschutz@fz-saaletal.de",
        CONTROLLER_IS_EXAMPLE=False,
    )
    page = _page(client, "/datenschutz")
    for expected in (
        "Verantwortlich",
        "Familienzentren Saaletal e. V.",
        "Am Markt 3, 07407 Rudolstadt",
        "info@fz-saaletal.de",
        "03672 123456",
        "Dora Datenschutz",
    ):
        assert expected in page
    body = client.get("/datenschutz").get_data(as_text=True)
    assert 'href="mailto:datenschutz@fz-saaletal.de"' in body
    assert "Beispielangaben" not in page
    assert "Thüringer Landesbeauftragter für den Datenschutz" in page  # where to complain

    # Without a data-protection officer, questions go to the controller.
    app.config.update(DPO_NAME="", DPO_EMAIL="")
    page = _page(client, "/datenschutz")
    assert "Dora Datenschutz" not in page
    assert "Bei Fragen zu Ihren Daten schreiben Sie bitte an den Verantwortlichen" in page
    assert "Für alles andere schreiben Sie bitte an: info@fz-saaletal.de" in page


def test_testing_shows_clearly_marked_example_details(app, client):
    assert app.config["CONTROLLER_IS_EXAMPLE"] is True
    for path in ("/datenschutz", "/impressum"):
        page = _page(client, path)
        assert "Beispielangaben" in page and "(Beispielangabe)" in page
        assert "Example details" in _page(client, path, "en")


def test_notice_shows_the_periods_the_retention_job_applies(app, client):
    # The defaults as configured: the same values the jobs read from app.config.
    page = _page(client, "/datenschutz", "en")
    assert f"{app.config['RETENTION_OUTBOX_DAYS']} days" in page
    assert f"{app.config['AUDIT_RETENTION_YEARS']} years, then deleted" in page
    start = app.config["RETENTION_CHECK_START_MONTHS"]
    assert f"within {start} months of the inspection" in page

    app.config.update(PERIODS)
    page = _page(client, "/datenschutz", "en")
    for expected in (
        "The deletion takes effect 21 days after your request",
        "without any sign-in or booking for 18 months are deleted",
        "never confirmed are deleted after 5 days",
        "the rest after 60 days",
        "4 years, then deleted",
        "within 2 months of the inspection",
        "at the latest 1 month after your last date there",
        "access logs 30 days",
    ):
        assert expected in page, expected
    german = _page(client, "/datenschutz")
    for expected in (
        "Die Löschung wird 21 Tage nach Ihrem Antrag wirksam",
        "seit 18 Monaten werden gelöscht",
        "nach 5 Tagen gelöscht",
        "der Rest nach 60 Tagen",
        "4 Jahre, dann gelöscht",
        "innerhalb von 2 Monaten nach der Einsichtnahme",
        "spätestens 1 Monat nach Ihrem letzten Termin",
    ):
        assert expected in german, expected

    app.config["DELETION_GRACE_DAYS"] = 0
    assert "the deletion takes effect at once" in _page(client, "/datenschutz", "en")


def test_the_notice_shows_the_defaults_of_config_py():
    """The notice has no defaults of its own: unset, it shows config.py's, as the jobs apply."""
    settings = {name: getattr(config.Config, name) for name in dir(config.Config) if name.isupper()}
    periods = legal.retention(settings)
    assert periods["DELETION_GRACE_DAYS"] == 14
    assert periods["RETENTION_INACTIVE_MONTHS"] == 12
    assert periods["INACTIVE_NOTICE_MONTHS"] == 11
    assert periods["RETENTION_UNCONFIRMED_DAYS"] == 7
    assert periods["RETENTION_OUTBOX_DAYS"] == 90
    assert periods["AUDIT_RETENTION_YEARS"] == 3
    assert periods["RETENTION_CHECK_START_MONTHS"] == 3
    assert periods["RETENTION_CHECK_END_MONTHS"] == 3


def test_every_retention_setting_the_notice_shows_exists_in_the_configuration():
    """The notice reads the settings the jobs read: each of them is defined in config.py."""
    for name in legal.RETENTION_SETTINGS:
        assert hasattr(config.Config, name), f"{name} missing from config.py"


def test_legal_bases_come_from_configuration_in_both_languages(app, client):
    german = _page(client, "/datenschutz")
    assert "Art. 6 Abs. 1 lit. c DSGVO i. V. m. § 72a SGB VIII" in german
    assert "Art. 6 Abs. 1 lit. c, Art. 9 Abs. 2 lit. i DSGVO i. V. m. § 20 IfSG" in german
    english = _page(client, "/datenschutz", "en")
    assert "Art. 6(1)(c) GDPR in conjunction with § 72a SGB VIII" in english

    # A public body names its own basis; text the parser does not know is shown as written.
    app.config["PRIVACY_LEGAL_BASES"] = {
        **app.config["PRIVACY_LEGAL_BASES"],
        "account": "Art. 6(1)(e) + § 16 ThürDSG",
        "audit": "§ 12 Satzung",
    }
    german = _page(client, "/datenschutz")
    assert "Art. 6 Abs. 1 lit. e DSGVO i. V. m. § 16 ThürDSG" in german
    assert "§ 12 Satzung" in german
    assert "Art. 6 Abs. 1 lit. b DSGVO" not in german


def test_recipients_are_listed_with_their_role(app, client):
    app.config["PRIVACY_RECIPIENTS"] = (
        "hosting=Rechenzentrum Mitte GmbH, Jena; mail = Post & Co. KG, Gera; "
        "printing=Druckerei Nord; Beratung Süd"
    )
    german = _page(client, "/datenschutz")
    assert "Rechenzentrum Mitte GmbH, Jena (Hosting: Server und Datenbank)" in german
    assert "Post & Co. KG, Gera (E-Mail-Versand)" in german
    assert "Druckerei Nord (sonstige Dienste)" in german
    assert "Beratung Süd (sonstige Dienste)" in german
    assert "(Art. 28 DSGVO)" in german

    app.config["PRIVACY_RECIPIENTS"] = ""
    german = _page(client, "/datenschutz")
    assert "Keine Dienstleister" in german and "Rechenzentrum" not in german


def test_recipient_list_parsing():
    assert legal.recipients(" hosting = A GmbH ;\nBACKUP=B AG;;x=C;D e. V.; support=") == [
        legal.Recipient("hosting", "A GmbH"),
        legal.Recipient("backup", "B AG"),
        legal.Recipient("other", "C"),
        legal.Recipient("other", "D e. V."),
    ]
    assert legal.recipients("") == []


def test_legal_basis_parsing():
    basis = legal.legal_basis("Art. 6(1)(c), Art. 9 (2) (i) + § 20 IfSG")
    assert basis.articles == (("6", "1", "c"), ("9", "2", "i"))
    assert basis.national == "§ 20 IfSG"
    plain = legal.legal_basis("Satzung § 3")
    assert plain.articles == () and plain.text == "Satzung § 3"


# --- Imprint -----------------------------------------------------------------------------------


def test_imprint_is_built_from_the_same_configuration(app, client):
    app.config.update(
        CONTROLLER_NAME="Familienzentren Saaletal e. V.",
        CONTROLLER_ADDRESS="Am Markt 3, 07407 Rudolstadt",
        CONTROLLER_EMAIL="info@fz-saaletal.de",
        CONTROLLER_PHONE="03672 123456",
        CONTROLLER_REPRESENTATIVE="Vera Vorstand (Vorsitzende)",
        CONTROLLER_REGISTER="Vereinsregister Amtsgericht Jena, VR 123456",
        CONTROLLER_VAT_ID="DE123456789",
        CONTROLLER_SUPERVISORY_AUTHORITY="Landesjugendamt Thüringen",
        CONTROLLER_IS_EXAMPLE=False,
    )
    page = _page(client, "/impressum")
    for expected in (
        "Impressum",
        "Angaben gemäß § 5 DDG",
        "Familienzentren Saaletal e. V.",
        "Am Markt 3, 07407 Rudolstadt",
        "Vertreten durch: Vera Vorstand (Vorsitzende)",
        "E-Mail: info@fz-saaletal.de",
        "Telefon: 03672 123456",
        "Registereintrag Vereinsregister Amtsgericht Jena, VR 123456",
        "Umsatzsteuer-Identifikationsnummer",
        "DE123456789",
        "Zuständige Aufsichtsbehörde Landesjugendamt Thüringen",
    ):
        assert expected in page, expected
    assert "Beispielangaben" not in page
    body = client.get("/impressum").get_data(as_text=True)
    assert 'href="tel:03672123456"' in body and 'href="/datenschutz"' in body

    english = _page(client, "/impressum", "en")
    assert "Information according to § 5 DDG" in english and "Represented by:" in english

    # A register entry, VAT id, representative and phone are shown only when there are any.
    app.config.update(
        CONTROLLER_REGISTER="",
        CONTROLLER_VAT_ID="",
        CONTROLLER_SUPERVISORY_AUTHORITY="",
        CONTROLLER_REPRESENTATIVE="",
        CONTROLLER_PHONE="",
    )
    page = _page(client, "/impressum")
    for absent in ("Registereintrag", "Umsatzsteuer", "Aufsichtsbehörde", "Vertreten", "Telefon"):
        assert absent not in page, absent


def test_footer_links_imprint_beside_privacy_on_every_page(client, conn):
    make_centre(slug="linde")
    for path in ("/", "/zentren/", "/datenschutz", "/impressum", "/gibt-es-nicht"):
        body = client.get(path).get_data(as_text=True)
        footer = body[body.index('<footer class="site-footer">') :]
        links = re.findall(r'<a href="([^"]+)">', footer)
        assert links[:2] == ["/datenschutz", "/impressum"], (path, links)


def test_staff_halfway_through_the_second_factor_can_read_both_pages(client, conn, login_as):
    coordinator = make_coordinator(make_centre())
    login_as(coordinator, mfa_ok=False)
    assert client.get("/konto/").status_code == 302  # the second factor is still due …
    assert client.get("/impressum").status_code == 200  # … but the legal pages stay open
    assert client.get("/datenschutz").status_code == 200


# --- Production refuses to start without the controller ------------------------------------


CONTROLLER = {
    "CONTROLLER_NAME": "Familienzentren Saaletal e. V.",
    "CONTROLLER_ADDRESS": "Am Markt 3, 07407 Rudolstadt",
    "CONTROLLER_EMAIL": "info@fz-saaletal.de",
}


@pytest.fixture
def production(monkeypatch):
    """ProductionConfig with every other setting acceptable."""
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "p" * 40)
    monkeypatch.setattr(config.ProductionConfig, "BASE_URL", "https://ehrenamt.example")
    monkeypatch.setattr(config.ProductionConfig, "MAIL_BACKEND", "smtp")
    for name, value in CONTROLLER.items():
        monkeypatch.setattr(config.ProductionConfig, name, value)
    return monkeypatch


@pytest.mark.parametrize("name", list(CONTROLLER))
def test_production_refuses_to_start_without_controller_details(production, name):
    production.setattr(config.ProductionConfig, name, "")
    with pytest.raises(RuntimeError, match=f"controller.*{name}"):
        create_app(config.ProductionConfig)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONTROLLER_NAME", config.EXAMPLE_CONTROLLER["CONTROLLER_NAME"]),
        ("CONTROLLER_ADDRESS", config.EXAMPLE_CONTROLLER["CONTROLLER_ADDRESS"]),
        ("CONTROLLER_EMAIL", "not-an-address"),
    ],
)
def test_production_refuses_example_or_broken_controller_details(production, name, value):
    production.setattr(config.ProductionConfig, name, value)
    with pytest.raises(RuntimeError, match=name):
        create_app(config.ProductionConfig)


def test_production_starts_with_controller_details_and_shows_them(production, tmp_path):
    assert config.ProductionConfig.CONTROLLER_IS_EXAMPLE is False
    app = create_app(config.ProductionConfig, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    try:
        client = app.test_client()
        page = _text(client.get("/impressum", base_url="https://ehrenamt.example"))
        assert "Familienzentren Saaletal e. V." in page and "Beispielangaben" not in page
    finally:
        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()


def test_examples_fill_in_only_when_no_controller_is_configured():
    apply = config._example_controller()
    configured = apply(type("Configured", (config.Config,), {"CONTROLLER_NAME": "Echter Träger"}))
    assert configured.CONTROLLER_NAME == "Echter Träger"
    assert configured.CONTROLLER_IS_EXAMPLE is False
    unset = apply(type("Unset", (config.Config,), {"CONTROLLER_NAME": ""}))
    assert unset.CONTROLLER_NAME.endswith("(Beispielangabe)") and unset.CONTROLLER_IS_EXAMPLE
