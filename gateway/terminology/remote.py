"""An external FHIR terminology server, asked over HTTP for what the gateway does not hold.

https://hl7.org/fhir/R4/terminology-service.html: `ValueSet/$expand`, `ValueSet/$validate-code`,
`CodeSystem/$lookup`, `ConceptMap/$translate`; descendants and ancestors by expanding an inline
ValueSet with an `is-a` / `generalizes` filter (POST `ValueSet/$expand` with `valueSet`).
Answers are kept in a bounded LRU cache. The server's 4xx means "not known there" (the matching
Unknown* 400); no answer, a 5xx or a reply that is not FHIR JSON is TerminologyUnavailable.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import httpx

from gateway.terminology.compose import MAX_CODES
from gateway.terminology.errors import (
    ExpansionTooLarge,
    TerminologyUnavailable,
    UnknownCodeSystem,
    UnknownConceptMap,
    UnknownValueSet,
)
from gateway.terminology.lru import Lru
from gateway.terminology.model import CodeCheck, Json
from gateway.terminology.remote_replies import check_of, codes_of, expansion_of, outcome_text

TIMEOUT_SECONDS = 5.0
CACHE_SIZE = 1024


class NotKnownThere(Exception):
    """The server answered 4xx: it does not know the value set, system, map or code."""


class RemoteSource:
    """A TerminologySource backed by one FHIR terminology server."""

    def __init__(
        self, base_url: str, *, client: httpx.Client | None = None, limit: int = MAX_CODES
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._cache: Lru[Json | NotKnownThere] = Lru(CACHE_SIZE)
        self.limit = limit

    def holds_value_set(self, url: str) -> bool:
        return self._known("ValueSet", url)

    def holds_code_system(self, url: str) -> bool:
        return self._known("CodeSystem", url)

    def expand(
        self, url: str, *, text_filter: str | None = None, count: int | None = None, offset: int = 0
    ) -> Json:
        """Without `count`, every code: pages are asked for until `total` is reached, since a
        server may page below the count asked for."""
        first = self._page(url, text_filter, self.limit if count is None else count, offset)
        if count is not None:
            return first
        expansion = expansion_of(first)
        total, contains = expansion.get("total"), list(expansion.get("contains") or [])
        if not isinstance(total, int):
            return first
        if total > self.limit:
            raise ExpansionTooLarge(url, self.limit)
        while len(contains) < total - offset:
            more = expansion_of(self._page(url, text_filter, self.limit, offset + len(contains)))
            if not more.get("contains"):
                break  # the server stopped short of its own total: keep what it gave
            contains.extend(more["contains"])
        return {**first, "expansion": {**expansion, "contains": contains}}

    def _page(self, url: str, text_filter: str | None, count: int, offset: int) -> Json:
        params = {"url": url, "filter": text_filter, "count": count, "offset": offset or None}
        try:
            return self._get("ValueSet/$expand", params)
        except NotKnownThere as error:
            raise UnknownValueSet(url, self._not_known(error)) from error

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        return self.validate_code(url, system=system, code=code).result

    def validate_code(
        self, url: str, *, system: str | None, code: str, display: str | None = None
    ) -> CodeCheck:
        params = {"url": url, "system": system, "code": code, "display": display}
        try:
            return check_of(self._get("ValueSet/$validate-code", params))
        except NotKnownThere as error:
            raise UnknownValueSet(url, self._not_known(error)) from error

    def lookup(self, system: str, code: str, version: str | None = None) -> Json:
        params = {"system": system, "code": code, "version": version}
        try:
            return self._get("CodeSystem/$lookup", params)
        except NotKnownThere as error:
            raise UnknownCodeSystem(system, self._not_known(error)) from error

    def descendants(self, system: str, code: str) -> frozenset[str] | None:
        return self._related(system, code, "is-a")

    def ancestors(self, system: str, code: str) -> frozenset[str] | None:
        return self._related(system, code, "generalizes")

    def translate(
        self,
        *,
        system: str,
        code: str,
        url: str | None = None,
        source: str | None = None,
        target: str | None = None,
        reverse: bool = False,
    ) -> Json:
        params = {"system": system, "code": code, "url": url, "source": source,
                  "target": target, "reverse": "true" if reverse else None}  # fmt: skip
        try:
            return self._get("ConceptMap/$translate", params)
        except NotKnownThere as error:
            if url is not None:
                raise UnknownConceptMap(url) from error
            raise UnknownCodeSystem(system, self._not_known(error)) from error

    def _related(self, system: str, code: str, op: str) -> frozenset[str] | None:
        """The codes an inline ValueSet `system where concept <op> code` expands to; None when
        the server does not know the system."""
        value_set = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
            {"system": system, "filter": [{"property": "concept", "op": op, "value": code}]}]}}  # fmt: skip
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "valueSet", "resource": value_set},
            {"name": "count", "valueInteger": self.limit}]}  # fmt: skip
        try:
            expanded = self._call("POST", "ValueSet/$expand", body=body)
        except NotKnownThere:
            return None
        return frozenset(code for s, code in codes_of(expanded) if s == system)

    def _known(self, resource_type: str, url: str) -> bool:
        try:
            found = self._get(resource_type, {"url": url, "_summary": "count"})
        except NotKnownThere:
            return False
        return bool(found.get("total"))

    def _get(self, path: str, params: dict[str, Any]) -> Json:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Json | None = None,
    ) -> Json:
        key: Hashable = (method, path, repr(sorted((params or {}).items())), repr(body))
        cached = self._cache.get(key)
        if isinstance(cached, NotKnownThere):  # a "not known" is kept too: asked per write
            raise NotKnownThere(str(cached))
        if cached is not None:
            return cached
        try:
            answer = self._send(method, path, params, body)
        except NotKnownThere as error:
            self._cache.put(key, error.with_traceback(None))
            raise
        self._cache.put(key, answer)
        return answer

    def _send(
        self, method: str, path: str, params: dict[str, Any] | None, body: Json | None
    ) -> Json:
        headers = {"Accept": "application/fhir+json"}
        try:
            response = self._client.request(
                method, f"{self.base_url}/{path}", params=params, json=body, headers=headers
            )
        except httpx.TimeoutException as error:
            raise TerminologyUnavailable(self.base_url, "no answer in time") from error
        except httpx.HTTPError as error:
            raise TerminologyUnavailable(
                self.base_url, f"unreachable ({type(error).__name__})"
            ) from error
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if 400 <= response.status_code < 500:
            raise NotKnownThere(outcome_text(answer) or f"HTTP {response.status_code}")
        if (
            response.status_code != 200
            or not isinstance(answer, dict)
            or "resourceType" not in answer
        ):
            raise TerminologyUnavailable(
                self.base_url, f"HTTP {response.status_code}, not a FHIR resource"
            )
        return answer

    def _not_known(self, error: NotKnownThere) -> str:
        return f"is not held by this server, and terminology server `{self.base_url}` answered: {error}"
