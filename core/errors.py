"""One exception tree for Vigie; every message says what happened, the bad value and how to fix it."""

from __future__ import annotations


class VigieError(Exception):
    """Base of every error Vigie raises on purpose."""

    code = "E000"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} (fix: {hint})" if hint else message)


class ConfigError(VigieError):
    """A setting or configuration file is missing or wrong."""

    code = "E001"


class InputError(VigieError):
    """A piece of user input (a line, a file, a request) cannot be used."""

    code = "E002"


class StorageError(VigieError):
    """The system of record failed or holds something unexpected."""

    code = "E003"


class NotFoundError(VigieError):
    """A document, page or object that was asked for does not exist."""

    code = "E004"


class ModelError(VigieError):
    """A trained model is missing, unreadable or incompatible."""

    code = "E005"


class SearchEngineError(VigieError):
    """The search engine rejected a request."""

    code = "E006"


class EngineUnavailableError(SearchEngineError):
    """The search engine cannot be reached."""

    code = "E007"


class ReferenceDataError(VigieError):
    """Reference data (QPV list, communes...) is missing or malformed."""

    code = "E008"


class CrawlError(VigieError):
    """A crawl could not run (not a single bad page: those are counted, not raised)."""

    code = "E009"


class PermissionDeniedError(VigieError):
    """The user's role does not allow the action."""

    code = "E010"


class ConflictError(VigieError):
    """Someone else changed the object between the moment it was read and the change (retry on fresh data)."""

    code = "E011"
