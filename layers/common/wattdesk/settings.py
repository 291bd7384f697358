"""Environment variables as one typed model (read per call: the local runtime sets them per invocation)."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(alias="TABLE_NAME")
    documents_bucket: str = Field(default="", alias="DOCUMENTS_BUCKET")
    sender_address: str = Field(default="no-reply@wattdesk.example", alias="SENDER_ADDRESS")
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    region: str = Field(default="eu-west-1", alias="AWS_REGION")
    ping_state_machine_arn: str = Field(default="", alias="PING_STATE_MACHINE_ARN")
    enrollment_state_machine_arn: str = Field(default="", alias="ENROLLMENT_STATE_MACHINE_ARN")
    billing_run_state_machine_arn: str = Field(default="", alias="BILLING_RUN_STATE_MACHINE_ARN")


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment mistake, not a user error."""


def get_settings() -> Settings:
    try:
        return Settings.model_validate(dict(os.environ))
    except Exception as exc:  # pydantic names the missing variables
        raise ConfigurationError(str(exc)) from exc
