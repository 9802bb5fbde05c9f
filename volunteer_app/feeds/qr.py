"""QR codes of feed links as SVG (segno): no image files, no JavaScript."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def svg(url: str, scale: int = 6, label: str = "") -> Markup:
    """An SVG of ``url`` that scales with CSS (viewBox only): black on white with the quiet
    zone; error correction M still reads from a scratched or photocopied poster."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=scale,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        title=None,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
    text = out.getvalue().decode()
    if label:
        # An image with a name for screen readers (the URL itself is printed beside it).
        safe = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        text = text.replace("<svg ", f'<svg role="img" aria-label="{safe}" ', 1)
    # segno writes only paths and rectangles; the one text we add is escaped above.
    return Markup(text)  # noqa: S704
