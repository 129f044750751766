"""NDJSON framing for grok.com streams.

Real streams are one JSON object per ``\\n``-terminated line, but clients in the wild meet
``data:`` prefixes, blank lines and several objects on one line, and TCP splits lines anywhere.
Nothing here may raise on any input: undecodable text is counted and skipped.
"""

from __future__ import annotations

from typing import Any

from grok_cli.protocol.jsontext import loads, scan_once


class LineSplitter:
    """Reassembles complete lines from arbitrary chunks."""

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        if not chunk:
            return []
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        return [line.rstrip(b"\r") for line in lines]

    def complete(self, chunk: bytes) -> str:
        """The complete lines ``chunk`` ends (with what came before it), decoded at once and
        still joined by newlines; "" when it ends none."""
        end = chunk.rfind(b"\n")
        if end < 0:
            self._partial += chunk
            return ""
        data = self._partial + chunk[:end] if self._partial else chunk[:end]
        self._partial = chunk[end + 1 :]
        return data.decode("utf-8", errors="replace")

    def flush(self) -> list[bytes]:
        rest, self._partial = self._partial.rstrip(b"\r"), b""
        return [rest] if rest.strip() else []


def parse_line(line: bytes | str) -> tuple[list[dict[str, Any]], int]:
    """Return the JSON objects on one line and how many undecodable pieces were skipped."""
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    text = text.strip()
    if text.startswith("data:"):
        text = text[5:].strip()
    if not text or text == "[DONE]":
        return [], 0
    try:
        value = loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        return _split_objects(text)
    if isinstance(value, dict):
        return [value], 0
    if isinstance(value, list):
        objects = [item for item in value if isinstance(item, dict)]
        return objects, len(value) - len(objects)
    return [], 1


def parse_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects on the lines of ``text``: what ``parse_line`` gives for each line, but a
    line that is one JSON object and nothing else (nearly every line) costs one call of the C
    scanner, without the ``json.loads`` wrapper around it."""
    objects: list[dict[str, Any]] = []
    for line in text.split("\n") if text else ():
        try:
            value, end = scan_once(line, 0)
        except (StopIteration, ValueError, RecursionError):
            end = -1
        if end == len(line) and isinstance(value, dict):
            objects.append(value)
        else:
            objects += parse_line(line)[0]
    return objects


def _split_objects(text: str) -> tuple[list[dict[str, Any]], int]:
    """Split concatenated objects (``{..}{..}``) by brace depth, honouring JSON strings."""
    objects: list[dict[str, Any]] = []
    skipped = 0
    depth = 0
    start = -1
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = depth > 0
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                try:
                    value = loads(text[start : i + 1])
                except (ValueError, RecursionError):
                    skipped += 1
                else:
                    if isinstance(value, dict):
                        objects.append(value)
                    else:
                        skipped += 1
    if depth > 0 or not objects and not skipped:
        skipped += 1
    return objects, skipped
