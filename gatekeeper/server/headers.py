"""Security headers on every response: what a browser may load, frame, sniff and keep.

Pages load only this service's own stylesheet (no inline scripts or styles, so the policy
can forbid them), nothing may frame a page (the console's approve button cannot be
clickjacked), and an answer for a signed-in caller is never stored by a cache.
"""

from __future__ import annotations

from flask import Flask, Response, g

# HTML pages: own stylesheet and images only; forms post back here; never framed.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Everything else (JSON, problem+json, metrics): nothing to load, never framed.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # older browsers; frame-ancestors is the modern form
    "Referrer-Policy": "same-origin",  # the sign-in redirect reads a same-site referrer
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """Set the headers a view did not set itself."""
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    is_page = response.mimetype == "text/html"
    response.headers.setdefault("Content-Security-Policy",
                                PAGE_POLICY if is_page else DATA_POLICY)
    if g.get("principal") is not None:  # signed in: the answer is theirs alone
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        response.vary.add("Authorization")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
