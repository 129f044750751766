"""An offline fake of grok.com's web chat API, for tests and for trying scripts without an account.

    from grok_cli.testing import FakeGrok
    with FakeGrok(delay=0.0) as srv:
        ...  # point a client at srv.url / srv.assets_url with srv.cookie

Command line: ``python -m grok_cli.testing [--port N] [--scenario NAME]`` or
``python -m grok_cli.testing run -- grok ask "Hello"``.
"""

from typing import TYPE_CHECKING, Any

from .frames import MODES
from .scenarios import (
    DISTINCTIVE_TITLE,
    SCENARIOS,
    SEARCH_RESULTS,
    THINKING_STEPS,
    long_answer,
    markdown_answer,
    search_answer,
    short_answer,
    title_for,
    tools_answer,
)
from .state import DEFAULT_QUOTA
from .statsig import EPOCH, FINGERPRINT, SITE_VERIFICATION

SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)

if TYPE_CHECKING:
    from .fake import FakeGrok
    from .gateway import GatewayMessage
    from .server import Recorded

# The server needs aiohttp (the `testing` extra): it is imported when first used, so that
# `python -m grok_cli.testing` can say how to install it instead of failing on the import.
_SERVER = {"FakeGrok": ".fake", "GatewayMessage": ".gateway", "Recorded": ".server"}


def __getattr__(name: str) -> Any:
    if name in _SERVER:
        from importlib import import_module

        return getattr(import_module(_SERVER[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_QUOTA",
    "DISTINCTIVE_TITLE",
    "EPOCH",
    "FINGERPRINT",
    "MODES",
    "SCENARIO_NAMES",
    "SEARCH_RESULTS",
    "SITE_VERIFICATION",
    "THINKING_STEPS",
    "FakeGrok",
    "GatewayMessage",
    "Recorded",
    "long_answer",
    "markdown_answer",
    "search_answer",
    "short_answer",
    "title_for",
    "tools_answer",
]
