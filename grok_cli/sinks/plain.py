"""The default output: answer text on stdout as it arrives, everything else on stderr."""

from __future__ import annotations

import json
from collections.abc import Sequence

from grok_cli.errors import ExitStatus
from grok_cli.events import (
    Event,
    Flush,
    Image,
    Reasoning,
    ReasoningStatus,
    SearchResults,
    StreamWarning,
    Token,
    ToolCall,
)
from grok_cli.io import IO
from grok_cli.sinks.base import EventSink
from grok_cli.sinks.style import Style, neutralize


def _tool_summary(call: ToolCall) -> str:
    args = call.args
    if isinstance(args, dict) and len(args) == 1:
        (value,) = args.values()
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    elif isinstance(args, dict):
        shown = json.dumps(args, ensure_ascii=False)
    else:
        shown = args
    shown = " ".join(str(shown).split())
    return f"{call.name}: {shown[:117] + '...' if len(shown) > 120 else shown}"


class PlainSink(EventSink):
    def __init__(self, io: IO, *, show_reasoning: bool = True) -> None:
        self.io = io
        self.show_reasoning = show_reasoning
        self.err_style = Style(io.color_stderr)
        self._last_out = ""  # last character written to stdout
        self._unflushed = False
        self._err_line_open = False
        self._sources: list[str] = []

    # stdout ----------------------------------------------------------------------------------
    def _out(self, text: str) -> None:
        """Written now, flushed at the stream's next Flush (or before anything goes to stderr)."""
        if self.io.stdout_isatty:
            text = neutralize(text)
        self._end_err_line()
        self.io.stdout.write(text)
        self._unflushed = True
        if text:
            self._last_out = text[-1]

    def _flush_out(self) -> None:
        if self._unflushed:
            self._unflushed = False
            self.io.stdout.flush()

    # stderr ----------------------------------------------------------------------------------
    def _err(self, text: str, *, styled: bool = True, label: str = "") -> None:
        """``text`` (server words: neutralised) on stderr, dim unless ``styled`` is off, after an
        already styled ``label``."""
        self._flush_out()  # on a shared terminal, stderr must not overtake the answer
        text = neutralize(text)
        self.io.stderr.write(label + (self.err_style.dim(text) if styled else text))
        self.io.stderr.flush()
        if text:
            self._err_line_open = not text.endswith("\n")

    def _end_err_line(self) -> None:
        if self._err_line_open:
            self.io.stderr.write("\n")
            self.io.stderr.flush()
            self._err_line_open = False

    def _err_line(self, text: str) -> None:
        self._end_err_line()
        self._err(text + "\n")

    def _answer(self, text: str) -> None:
        self._out(text)

    def on_events(self, events: Sequence[Event]) -> None:
        """The answer text of a batch in one piece: one write (and one flush) per chunk."""
        texts: list[str] = []
        for event in events:
            if type(event) is Token:
                texts.append(event.text)
                continue
            if texts:
                self._answer(texts[0] if len(texts) == 1 else "".join(texts))
                texts = []
            self.on_event(event)
        if texts:
            self._answer(texts[0] if len(texts) == 1 else "".join(texts))

    def on_event(self, event: Event) -> None:
        if isinstance(event, Token):
            self._answer(event.text)
        elif isinstance(event, Flush):
            self._flush_out()
        elif isinstance(event, Reasoning):
            if self.show_reasoning:
                if event.tag == "header":
                    self._err_line(event.text.strip())
                else:
                    self._err(event.text)
        elif isinstance(event, ReasoningStatus):
            if self.show_reasoning:
                self._err_line(event.text)
        elif isinstance(event, ToolCall):
            if self.show_reasoning:
                self._err_line(f"> {_tool_summary(event)}")
        elif isinstance(event, SearchResults):
            self._sources += [f"{r.title or r.url} <{r.url}>" for r in event.results]
        elif isinstance(event, Image):
            self._err_line(f"Image: {event.path or event.url}")
        elif isinstance(event, StreamWarning):
            self._end_err_line()
            self._err(f" {event.message}\n", styled=False, label=self.err_style.warning("Warning:"))

    def close(self, status: ExitStatus) -> None:
        if self._last_out and self._last_out != "\n":
            self._out("\n")
        self._flush_out()
        self._end_err_line()
        if self._sources and self.io.stderr_isatty and status == ExitStatus.OK:
            self._err("Sources:\n")
            for number, source in enumerate(dict.fromkeys(self._sources), 1):
                self._err(f"  [{number}] {source}\n")
