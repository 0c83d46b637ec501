"""Runtime configuration, read from the environment (prefix-free names, as operators expect)."""

from __future__ import annotations

from pathlib import Path

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
    export_dir: Path | None = Field(
        default=None, description="Where $export jobs write their files; unset: a temp directory."
    )
    terminology_server_url: str | None = Field(
        default=None,
        description="FHIR terminology server asked for what the gateway does not hold; unset: none.",
    )
    log_level: str = Field(default="info")

    @property
    def embedded(self) -> bool:
        return not self.mongodb_uri
