"""Security headers on every response (OWASP Secure Headers; https://hl7.org/fhir/R4/security.html).

`Cache-Control: no-store` goes on every response that may carry patient data: all of them except
the conformance and documentation paths (`metadata`, `.well-known/*`, `_openapi.json`, `_docs`),
which hold no patient data and which clients and proxies may cache. A route that sets its own
Content-Security-Policy (Swagger UI) keeps it; every other header is set here, once.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = b"default-src 'none'; frame-ancestors 'none'"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_NO_STORE = (b"cache-control", b"no-store")


def cacheable(path: str, *, base: str) -> bool:
    """True for the conformance and documentation paths, which carry no patient data."""
    if not path.startswith(base + "/"):
        return False
    rest = path[len(base) + 1 :]
    return rest in ("metadata", "_openapi.json", "_docs") or rest.startswith(".well-known/")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, base: str, hsts_max_age_seconds: int) -> None:
        self.app, self.base = app, base
        # RFC 6797 §7.2: HSTS only over HTTPS; the operator says the gateway is served so.
        hsts = f"max-age={hsts_max_age_seconds}".encode()
        extra = ((b"strict-transport-security", hsts),) if hsts_max_age_seconds > 0 else ()
        self.cacheable_headers = (*_ALWAYS, *extra)  # built once: this runs on every response
        self.no_store_headers = (*_ALWAYS, *extra, _NO_STORE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = not cacheable(scope["path"], base=self.base)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = [name.lower() for name, _ in headers]
                if no_store and b"cache-control" in names:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                headers.extend(self.no_store_headers if no_store else self.cacheable_headers)
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", STRICT_CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
