"""The service-account key of a target, shared by the BigQuery and Data Transfer clients."""

from __future__ import annotations

from typing import Any

from eros_migrate.config import TargetConfig
from eros_migrate.errors import TargetError


def service_account_credentials(target: TargetConfig) -> Any:
    """Load the key file named by `credentials`; a missing or wrong file says what to do."""
    from google.oauth2 import service_account

    assert target.credentials is not None
    if not target.credentials.is_file():
        raise TargetError(
            f"credentials file {target.credentials} does not exist",
            hint=f"fix `credentials` of target {target.name!r} or unset it to use "
            "application default credentials",
        )

    # Untyped in google-auth; the result is a google.auth Credentials object.
    load: Any = service_account.Credentials.from_service_account_file
    try:
        return load(str(target.credentials))
    except (ValueError, KeyError) as error:
        raise TargetError(
            f"credentials file {target.credentials} is not a service-account key: {error}",
            hint="download a JSON key for the service account, or unset `credentials`",
        ) from error
