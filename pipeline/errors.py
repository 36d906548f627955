"""Domain errors. Each carries a one-line message a user can act on and the exit code the CLI returns.

Exit codes (documented in the README):
  0 success, 1 internal error (a bug: run with --debug and report it), 2 bad usage or config,
  3 unreadable or unsupported input, 4 segments still failing under --strict, 5 output not writable,
  6 another render holds the output folder, 7 a model or engine could not be loaded,
  8 a shelf of books finished but some books failed (see corpus.json).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_STRICT = 4
EXIT_OUTPUT = 5
EXIT_LOCKED = 6
EXIT_ENGINE = 7
EXIT_PARTIAL = 8


class RenderError(Exception):
    """Base of every error the CLI reports in one line."""

    exit_code = EXIT_INTERNAL


class ConfigError(RenderError):
    """A config file or value is wrong. `key`: the dotted config key at fault ("engine.speed") when one is;
    `reason`: what is wrong with its value, without the key (the CLI names the option it came from instead)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, key: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.reason = reason if reason is not None else message


class UsageError(RenderError):
    exit_code = EXIT_USAGE


class InputError(RenderError):
    """The book cannot be read: missing, unsupported, corrupt, DRM-protected, hostile."""

    exit_code = EXIT_INPUT


class OutputError(RenderError):
    exit_code = EXIT_OUTPUT


class LockedError(RenderError):
    exit_code = EXIT_LOCKED


class EngineError(RenderError):
    """An engine could not be loaded (missing weights, missing optional dependency)."""

    exit_code = EXIT_ENGINE


class StrictFailure(RenderError):
    exit_code = EXIT_STRICT
