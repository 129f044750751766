"""An offline fake of grok.com's web chat API, for tests and for trying scripts without an account.

    from grok_cli.testing import FakeGrok
    with FakeGrok(delay=0.0) as srv:
        ...  # point a client at srv.url / srv.assets_url with srv.cookie

Command line: ``python -m grok_cli.testing [--port N] [--scenario NAME]`` or
``python -m grok_cli.testing run -- grok ask "Hello"``.
"""

from .fake import FakeGrok
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
from .gateway import GatewayMessage
from .server import Recorded
from .state import DEFAULT_QUOTA
from .statsig import EPOCH, FINGERPRINT, SITE_VERIFICATION

SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)

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
