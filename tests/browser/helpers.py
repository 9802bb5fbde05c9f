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

import json
import os
from pathlib import Path

import pytest

SHOTS_DIR = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))  # noqa: S108 (a scratch folder by design)
# Screenshots are for people who look at a layout; no test reads them. A full-page one at phone
# size costs Chromium 0.3-1 s (more than the page and its axe check), so they are taken only
# when SHOTS_DIR is set (``SHOTS_DIR=/tmp/shots make test``). A failed test's pages are saved
# either way (``$SHOTS_DIR/failed``, by default /tmp/shots/failed).
TAKE_SHOTS = bool(os.environ.get("SHOTS_DIR"))

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


def _axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def axe_loader() -> str:
    """An init script (``context.add_init_script``) that defines axe-core in every top-level
    http(s) document of the context as it starts, so that ``check_a11y`` need not send
    axe's ~570 KB through Playwright and have Chromium compile it for each page it checks
    (Chromium keeps the compiled script for the next document). Frames are left alone: axe
    checks only the top document, as it did when injected by ``page.evaluate``. Like the
    CSP recorder, an init script is not governed by the page's Content-Security-Policy."""
    return (
        "if (window === window.top && /^https?:$/.test(location.protocol)) {\n"
        + _axe_script()
        + "\n}"
    )


# What the result of a check depends on besides the document: the window's size and scroll,
# the media (print, colour scheme, motion), the address (``:target``) and the focused element.
_A11Y_STATE = """() => [innerWidth, innerHeight, devicePixelRatio, scrollX, scrollY, location.href,
  matchMedia('print').matches, matchMedia('(prefers-color-scheme: dark)').matches,
  matchMedia('(prefers-reduced-motion: reduce)').matches,
  Array.prototype.indexOf.call(document.getElementsByTagName('*'), document.activeElement)
].join('|')"""

# Before a check: was this very state checked already (the same document, no change to its
# DOM since, the same state as above and the same options), and is axe already loaded?
_A11Y_BEFORE = """([key, state]) => [
  window.__a11yChecked === key + '#' + state(), typeof window.axe !== 'undefined']"""

# Runs axe; when nothing of the given impacts is found, remembers the state it checked (a
# MutationObserver forgets it on any later change; records of changes before this point, axe's
# own included, are dropped first) and keeps axe's full result as ``window.__a11yResults``.
# Returns only the violations: the full result (every rule that passed or did not apply, with
# an example node each) is large, and sending it to Python cost more than some checks.
_A11Y_RUN = """async ([key, context, options, impacts, state]) => {
  const results = await (context === null ? axe.run(options) : axe.run(context, options));
  if (!results.violations.some((v) => impacts.includes(v.impact))) {
    if (window.__a11yObserver) {
      window.__a11yObserver.takeRecords();
    } else {
      window.__a11yObserver = new MutationObserver(() => { window.__a11yChecked = null; });
      window.__a11yObserver.observe(document, {
        subtree: true, childList: true, attributes: true, characterData: true});
    }
    window.__a11yChecked = key + '#' + state();
    window.__a11yResults = results;
  }
  return results.violations;
}"""


def check_a11y(page, *, impacts=BLOCKING_IMPACTS, context=None, disable_rules=()) -> list:
    """Run axe-core on the current page; fail listing every violation of the given impacts.

    ``context`` limits the check to part of the page (an axe context, e.g. ``"#main"``);
    ``disable_rules`` switches off named rules (say why in the calling test). Returns axe's
    violations (of every impact; the page keeps axe's full result as ``__a11yResults``).

    Axe runs once per state of a page: a second check of the same document with nothing
    changed since (no DOM mutation, the same size, scroll, media, address and focus, the same
    options) returns the first one's result, which passed; a check on a document that has axe
    already (a page from the fixtures loads it as each document starts: ``axe_loader``) does
    not load it again (~570 KB of script, ~65 ms).
    """
    settle(page)
    options: dict = {"resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    key = json.dumps([list(impacts), context, options], sort_keys=True)
    state = f"({_A11Y_STATE})"
    seen, loaded = page.evaluate(f"(key) => ({_A11Y_BEFORE})([key, {state}])", key)
    last = getattr(page, "_a11y_last", None)
    if seen and last is not None and last[0] == key:
        return last[1]
    if not loaded:
        page.evaluate(_axe_script())
    violations = page.evaluate(
        f"(args) => ({_A11Y_RUN})([...args, {state}])", [key, context, options, list(impacts)]
    )
    blocking = [v for v in violations if v.get("impact") in impacts]
    if blocking:
        pytest.fail(
            f"Accessibility violations on {page.url}:\n" + format_violations(blocking),
            pytrace=False,
        )
    page._a11y_last = (key, violations)
    return violations


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


def settle(page) -> None:
    """Wait until the page's document has loaded (its style sheets too) and its fonts are
    ready. After a click that submits a form, the new page's elements can be visible while
    its style sheets are still on their way; a layout measured then is unstyled."""
    page.wait_for_load_state("load")
    page.evaluate(
        "() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(r)))"
    )


def assert_fits_viewport(page) -> None:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    settle(page)
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


def screenshot(page, name: str, *, full_page: bool = True, always: bool = False) -> Path | None:
    """With ``SHOTS_DIR`` set (or ``always``), save a PNG of ``page`` (or of a locator: only
    its element) as ``$SHOTS_DIR/<name>.png`` and return its path; else nothing."""
    if not (TAKE_SHOTS or always):
        return None
    path = SHOTS_DIR / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(page, "goto"):
        page.screenshot(path=str(path), full_page=full_page)
    else:
        page.screenshot(path=str(path))
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
    with ``shot``, a screenshot in ``$SHOTS_DIR/<folder>/`` (when SHOTS_DIR is set)."""
    page.wait_for_load_state("load")
    assert_no_csp_violations(page)
    check_a11y(page)
    expect(page.locator("h1")).to_have_count(1)
    if always_fit or size_of(page) == "phone":
        assert_fits_viewport(page)
    if shot:
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
