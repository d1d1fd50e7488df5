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
    headers = response.headers
    # One pass over what the view set, then appends: Headers.setdefault scans the list for
    # every name (five scans a response).
    present = {name.lower() for name, _ in headers.items()}
    for name, value in ALWAYS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy",
                    PAGE_POLICY if response.mimetype == "text/html" else DATA_POLICY)
    if g.get("principal") is not None:  # signed in: the answer is theirs alone
        headers["Cache-Control"] = "no-store"
        if "vary" in present:
            response.vary.add("Cookie")
            response.vary.add("Authorization")
        else:
            headers.add("Vary", "Cookie, Authorization")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
