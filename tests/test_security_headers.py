"""Security headers on every kind of response; caching rules; HSTS only in production."""

from __future__ import annotations

from tests.factories import make_centre, make_user

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _responses(client):
    """One response of every kind: (label, response)."""
    return [
        ("public page", client.get("/")),
        ("centre page", client.get("/zentren/kopf-test")),
        ("404", client.get("/gibt-es-nicht")),
        ("405", client.post("/datenschutz")),
        ("POST redirect", client.post("/language", data={"lang": "de", "next": "/"})),
        ("static file", client.get("/static/app.css")),
        ("health check", client.get("/healthz")),
    ]


def _assert_security_headers(label, response):
    h = response.headers
    assert h.get("Content-Security-Policy") == CSP, label
    assert h.getlist("Content-Security-Policy") == [CSP], f"{label}: exactly one CSP"
    assert h.get("X-Content-Type-Options") == "nosniff", label
    # Flask-WTF's HTTPS check needs the Referer of same-origin POSTs: never "no-referrer".
    assert h.get("Referrer-Policy") == "same-origin", label
    assert h.get("X-Frame-Options") == "DENY", label


def test_every_anonymous_response_has_the_security_headers(client, conn):
    make_centre(slug="kopf-test")
    responses = _responses(client)
    assert [r.status_code for _, r in responses] == [200, 200, 404, 405, 302, 200, 200]
    for label, response in responses:
        _assert_security_headers(label, response)
        assert "Strict-Transport-Security" not in response.headers, label
        response.close()


def test_every_logged_in_response_has_the_security_headers_and_no_store(client, conn, login_as):
    make_centre(slug="kopf-test")
    user = make_user()
    login_as(user)
    responses = _responses(client)
    assert 'action="/konto/abmelden"' in responses[0][1].get_data(as_text=True)  # logged in
    for label, response in responses:
        _assert_security_headers(label, response)
        cache = response.headers.get("Cache-Control", "")
        if label == "static file":
            # The same file for everyone: the browser may keep it.
            assert "no-store" not in cache
        else:
            assert "no-store" in cache, f"{label} for a logged-in person may be cached"
            assert "Cookie" in response.headers.get("Vary", ""), label
        response.close()


def test_logged_in_page_is_marked_logged_in_only_once(client, conn, login_as):
    login_as(make_user())
    response = client.get("/")
    assert response.headers.getlist("Cache-Control") == ["no-store"]
    assert len(response.headers.getlist("Vary")) == 1


def test_public_pages_are_not_forced_uncacheable(client, conn):
    for path in ("/", "/zentren/", "/datenschutz", "/barrierefreiheit", "/leichte-sprache"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_logged_in_start_page_is_really_logged_in(client, conn, login_as):
    user = make_user(name="Kopf Probe")
    login_as(user)
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert 'action="/konto/abmelden"' in html  # the logout button only shows when logged in
    assert response.headers["Cache-Control"] == "no-store"
