"""Helpers for browser tests: open a page, check accessibility, layout and CSP.

Import them in a browser test module::

    from tests.browser.helpers import check_a11y, visit

    def test_profile(page, live_server):
        visit(page, "/konto/")            # status < 400, no CSP violation, axe clean
        visit(page, "/nope", status=404)  # an expected error page, still checked

The fixtures (``live_server``, ``page``, ``phone_page``, ``new_page``) live in
``tests/browser/conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHOTS_DIR = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))  # noqa: S108 (a scratch folder by design)

# What fails a test. "moderate" and "minor" findings are reported by axe but tolerated.
BLOCKING_IMPACTS = ("serious", "critical")

# Collects CSP violations in every page of a context (added with ``add_init_script``,
# which the page's own CSP does not govern).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber);
});
"""


def expect(actual, message: str | None = None):
    """Playwright's auto-waiting ``expect`` (imported lazily, so that this module loads
    without Playwright and the fixtures can skip or fail cleanly)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message)


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def check_a11y(page, *, impacts=BLOCKING_IMPACTS, context=None, disable_rules=()) -> dict:
    """Run axe-core on the current page; fail listing every violation of the given impacts.

    ``context`` limits the check to part of the page (an axe context, e.g. ``"#main"``);
    ``disable_rules`` switches off named rules (say why in the calling test). Returns axe's
    full result dictionary.
    """
    options: dict = {"resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    results = _axe().run(page, context=context, options=options).response
    blocking = [v for v in results["violations"] if v.get("impact") in impacts]
    if blocking:
        pytest.fail(
            f"Accessibility violations on {page.url}:\n" + format_violations(blocking),
            pytrace=False,
        )
    return results


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v.get('helpUrl', '')}]")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def csp_violations(page) -> list[str]:
    """CSP violations the current page reported (needs a context from the fixtures)."""
    return page.evaluate("window.__cspViolations || []")


def assert_no_csp_violations(page) -> None:
    found = csp_violations(page)
    assert not found, f"Content-Security-Policy violations on {page.url}: {found}"


def visit(page, url: str, *, status: int | None = None, a11y: bool = True):
    """Open ``url`` (absolute, or relative to the live server) and check the page.

    Asserts the HTTP status (< 400, or exactly ``status`` when given), that the page
    caused no CSP violation and, unless ``a11y=False``, that axe finds nothing serious.
    Returns Playwright's response.
    """
    response = page.goto(url, wait_until="load")
    assert response is not None, f"no response for {url}"
    if status is None:
        assert response.status < 400, f"GET {url} answered {response.status}"
    else:
        assert response.status == status, f"GET {url} answered {response.status}, not {status}"
    assert_no_csp_violations(page)
    if a11y:
        check_a11y(page)
    return response


def assert_fits_viewport(page) -> None:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    width = page.viewport_size["width"]
    scroll_width, too_wide = page.evaluate(
        """(width) => {
          const wide = [];
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1) {
              wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                        + ' right=' + Math.round(r.right));
            }
          }
          return [document.scrollingElement.scrollWidth, wide.slice(0, 10)];
        }""",
        width,
    )
    assert scroll_width <= width, (
        f"{page.url} scrolls sideways at {width}px (document is {scroll_width}px wide); "
        f"too wide: {too_wide}"
    )


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under ``$SHOTS_DIR`` (default /tmp/shots) and return its path."""
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def choose_language(page, name: str) -> None:
    """Open the language switch in the header and choose the language named ``name`` (each
    is named in itself: "Deutsch", "English", "العربية", …); waits for the page it leads to."""
    switch = page.locator("details.lang-switch")
    if not switch.evaluate("el => el.open"):
        switch.locator("summary").click()
    with page.expect_navigation():
        switch.get_by_role("button", name=name, exact=True).click()


# --- For the flow tests (tests/browser/test_flow_*.py) --------------------------------------

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# The sizes a user flow runs at. Phone, where layouts break and where volunteers and families
# are; every page a flow visits is checked there with axe and for sideways scrolling. The
# desktop layout of the same pages is walked by test_public_pages, test_centres_browser,
# test_coordination_browser and test_flow_helferplan (print), which keeps the suite inside its
# eight minutes. BROWSER_FLOW_SIZES=phone,desktop runs every flow at both sizes.
FLOW_SIZES = os.environ.get("BROWSER_FLOW_SIZES", "phone").split(",")


def open_sized(new_page, size: str):
    """A page in a new context (own cookies) at ``size``: "desktop" (1280×800) or "phone"
    (390×844, mobile, touch)."""
    if size == "phone":
        return new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    return new_page(viewport=DESKTOP)


def size_of(page) -> str:
    return "phone" if page.viewport_size["width"] < 600 else "desktop"


def nav(page):
    """The site's main navigation in the header."""
    return page.get_by_role("navigation", name="Hauptnavigation")


def check_page(page, shot: str | None = None, *, folder: str = "flows", always_fit=False):
    """What every page reached by a click or a redirect must pass: no CSP violation, axe
    clean, one h1, nothing scrolls sideways (on a phone; at every size with ``always_fit``);
    with ``shot``, a screenshot in ``$SHOTS_DIR/<folder>/``."""
    page.wait_for_load_state("load")
    assert_no_csp_violations(page)
    check_a11y(page)
    expect(page.locator("h1")).to_have_count(1)
    if always_fit or size_of(page) == "phone":
        assert_fits_viewport(page)
    if shot:
        (SHOTS_DIR / folder).mkdir(parents=True, exist_ok=True)
        screenshot(page, f"{folder}/{shot}-{size_of(page)}")


def smtp_overrides(smtp_sink) -> dict:
    """``live_server_overrides`` for a server that delivers over SMTP to the test's mail
    server (``smtp_sink``), without the anti-enumeration padding."""
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_sink.host,
        "MAIL_PORT": smtp_sink.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_TIMEOUT": 5,
        "ACCOUNT_RESPONSE_FLOOR_SECONDS": 0,
    }
