"""A channel's secret settings: those its plugin types as pydantic ``SecretStr`` (a webhook's access token …) are
sealed at rest like the channel's secret (``core.sealed``), shown and audited only as set, and opened only for the
plugin to send."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, SecretStr

from ..sealed import unseal


def secret_fields(model: type[BaseModel]) -> set[str]:
    """The settings a channel marks secret by their type (pydantic ``SecretStr``: an access token in a webhook …):
    sealed at rest like the channel's secret, never shown nor audited, typed again to change."""
    return {name for name, field in model.model_fields.items()
            if field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation)}


MASK = "***"  # a secret setting as shown; given back (a listing's settings set again), it means "kept"


def shown(settings: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """A channel's settings as pages, listings and the audit trail show them: a secret setting only as set."""
    return {name: (MASK if name in hidden else value) for name, value in settings.items() if value is not None}


def opened(settings: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """A channel's settings as its plugin gets them to send: the secret ones opened (``core.sealed``)."""
    return {name: (unseal(value) if name in hidden and isinstance(value, str) else value)
            for name, value in settings.items()}
