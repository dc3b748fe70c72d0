"""One error hierarchy for everything a user can meet.

Every error carries where it happened (file, line, column or version) and what to do next, so
the CLI can print it without a traceback. Exit codes: 2 for invalid input (chain, configuration,
lint), 1 for a target that failed or refused.
"""

from __future__ import annotations

from pathlib import Path

EXIT_TARGET_FAILED = 1
EXIT_INVALID_INPUT = 2


class MigrateError(Exception):
    """Base of every error eros-migrate raises on purpose."""

    exit_code = EXIT_TARGET_FAILED

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        version: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.version = version

    @property
    def where(self) -> str:
        """`file:line:column`, `version N`, or an empty string."""
        if self.file is not None:
            parts = [self.file]
            if self.line is not None:
                parts.append(str(self.line))
                if self.column is not None:
                    parts.append(str(self.column))
            return ":".join(parts)
        if self.version is not None:
            return f"version {self.version}"
        return ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "version": self.version,
        }


class InputError(MigrateError):
    """The user's input is wrong: nothing was sent to the target."""

    exit_code = EXIT_INVALID_INPUT


class ConfigError(InputError):
    """The configuration file or an environment override is invalid."""


class ChainError(InputError):
    """The migration chain on disk is malformed (numbering, pairs, encoding)."""


class PlaceholderError(InputError):
    """A placeholder is unknown or renders to an unsafe value."""


class ScriptSyntaxError(InputError):
    """A SQL file cannot be split or parsed."""


class LintError(InputError):
    """Lint reported at least one error; nothing was applied."""


class TargetError(MigrateError):
    """The target failed or refused: unreachable, permission, a failed statement."""


class TargetNotFoundError(TargetError):
    """The target's project, dataset or a table in it does not exist."""


class LockHeldError(TargetError):
    """Another run holds the lock on the target."""


class MigrationFailedError(TargetError):
    """A statement of a migration failed on the target."""


class ConfirmationRequired(TargetError):
    """A protected target needs an explicit `--yes` for this operation."""

    exit_code = EXIT_INVALID_INPUT
