"""Runtime configuration, read from the environment (prefix-free names, as operators expect)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the gateway; `MONGODB_URI` unset means the embedded in-process store."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    mongodb_uri: str | None = Field(default=None, description="MongoDB URI; unset: embedded store.")
    mongodb_database: str = Field(default="fhir_gateway", description="Database name.")
    fhir_base_path: str = Field(default="/fhir", description="Path of the FHIR REST base.")
    fhir_base_url: str | None = Field(
        default=None, description="Public base URL for fullUrl/Location; default: from the request."
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="Largest request body.")
    max_bundle_bytes: int = Field(default=100 * 1024 * 1024, description="Largest Bundle body.")
    max_bundle_entries: int = Field(default=10_000, ge=1, description="Most entries per Bundle.")
    default_page_size: int = Field(default=20, ge=1, description="Search page size without _count.")
    max_page_size: int = Field(default=1000, ge=1, description="Largest _count honoured.")
    demo_data: bool = Field(default=False, description="Load the demo records at start-up.")
    gc_young_threshold: int = Field(
        default=50_000,
        ge=0,
        description="The garbage collector's first threshold for the server and importer "
        "(gateway.collector); 0 keeps Python's default (700).",
    )
    export_dir: Path | None = Field(
        default=None,
        description="Where $export jobs write their files, mounted by every worker and replica; "
        "unset: a temp directory of the process.",
    )
    export_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A running $export job whose worker has not renewed its lease for this long "
        "is reported failed.",
    )
    export_retention_seconds: float = Field(
        default=86_400.0,
        gt=0,
        description="How long a finished $export job and its files are kept.",
    )
    terminology_server_url: str | None = Field(
        default=None,
        description="FHIR terminology server asked for what the gateway does not hold; unset: none.",
    )
    log_level: str = Field(default="info")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`json`: one JSON object per log line, with the request id (gateway.logging_format).",
    )
    # Operations (issue 14, part 5): gateway.metrics, gateway.http.shutdown.
    metrics: bool = Field(
        default=True,
        description="Serve Prometheus metrics at /metrics (beside the FHIR base, behind the"
        " same authentication as the API) and count requests for them.",
    )
    shutdown_grace_seconds: float = Field(
        default=25.0,
        ge=0,
        description="At shutdown, how long requests in flight (uvicorn) and writes in flight"
        " (the lifespan) may take to finish before they are cut; under Kubernetes' default"
        " 30 s termination grace, so the audit's last flush still happens.",
    )
    # Hardening and the audit trail (issue 13, parts 5 and 6): gateway.http.envelope.
    audit: bool | None = Field(
        default=None,
        description="Record every request as an AuditEvent. Unset: on when the effective"
        " AUTH_MODE is `smart`, off otherwise (see effective_audit).",
    )
    max_url_length: int = Field(
        default=8192, ge=1, description="Longest request URL (path and query); longer: 400."
    )
    max_query_parameters: int = Field(
        default=200, ge=0, description="Most query parameters in a request; more: 400."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins browser apps may call from, as JSON: ["https://app.example"];'
        ' `["*"]`: any origin, without credentials. Empty: CORS off.',
    )
    hsts_max_age_seconds: int = Field(
        default=0,
        ge=0,
        description="Strict-Transport-Security max-age; set only when served over HTTPS. 0: off.",
    )
    unknown_profile: Literal["warning", "error"] = Field(
        default="warning",
        description="A claimed meta.profile this server does not hold: a warning, or a 422.",
    )
    validation_engine: Literal["compiled", "fhir.resources"] = Field(
        default="compiled",
        description="How a written resource's structure is checked: `compiled`, one walk over"
        " tables compiled from the R4 StructureDefinitions (mappers.shape); `fhir.resources`,"
        " its pydantic models. Same verdicts (tests/mappers/test_validator_differential.py).",
    )
    required_profiles: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Profiles a type must meet unclaimed, as JSON: {"Observation": ["vital-signs"]}'
        " (the keyword: R4's vital signs family); each applies where it selects the resource.",
    )

    # SMART on FHIR (issue 13): read here, checked by gateway.auth.startup.auth_problems.
    auth_mode: Literal["off", "smart"] | None = Field(
        default=None,
        description="`smart`: bearer tokens required; `off`: none. Unset: `smart` with"
        " MONGODB_URI, `off` on the embedded store (see effective_auth_mode).",
    )
    auth_issuer: str | None = Field(
        default=None, description="The `iss` every access token must carry, exactly."
    )
    auth_audience: str | None = Field(
        default=None, description="The `aud` access tokens must name: this FHIR base URL."
    )
    auth_jwks_url: str | None = Field(
        default=None, description="The issuer's JWKS URL, cached and reloaded on an unknown kid."
    )
    auth_jwks_file: Path | None = Field(
        default=None, description="A JWKS JSON file with the issuer's public keys."
    )
    auth_clock_skew_seconds: int = Field(
        default=60, ge=0, description="Clock skew allowed on a token's exp, nbf and iat."
    )
    # Backend Services (issue 13 part 4): the gateway's own token endpoint.
    auth_signing_key_file: Path | None = Field(
        default=None,
        description="The gateway's private signing key (JWK JSON or PEM; RSA or EC P-256):"
        " turns on its token endpoint and trusts the tokens it signs.",
    )
    auth_clients_file: Path | None = Field(
        default=None,
        description='Backend Services clients, JSON: {"clients": [{"client_id", "jwks" or'
        ' "jwks_url", "scope"}]}.',
    )
    auth_token_endpoint: str | None = Field(
        default=None,
        description="The external provider's token endpoint, named by the SMART configuration"
        " when the gateway signs no tokens of its own (no AUTH_SIGNING_KEY_FILE).",
    )
    auth_token_issuer: str | None = Field(
        default=None,
        description="The `iss` of the tokens the gateway signs; default `{AUTH_AUDIENCE}/auth`.",
    )
    auth_token_lifetime_seconds: int = Field(
        default=300, ge=30, le=86_400, description="Lifetime of the tokens the gateway signs."
    )

    @property
    def embedded(self) -> bool:
        return not self.mongodb_uri

    @property
    def effective_auth_mode(self) -> Literal["off", "smart"]:
        """AUTH_MODE as given; unset, secure where data is real: `smart` on MongoDB."""
        if self.auth_mode is not None:
            return self.auth_mode
        return "off" if self.embedded else "smart"

    @property
    def effective_audit(self) -> bool:
        """AUDIT as given; unset, on exactly when tokens are required: an audit trail needs
        someone to name, and with AUTH_MODE off nothing changes for those trying the gateway."""
        if self.audit is not None:
            return self.audit
        return self.effective_auth_mode == "smart"
