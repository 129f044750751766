"""The floor for `grok ask --transport ws`: a bare aiohttp client that reads one answer.

    python bench/gateway_client.py PROMPT     (GROK_BASE_URL, GROK_COOKIE: a fake grok.com)

It opens the gateway session, sends the prompt and writes each answer chunk to stdout until
`response.done`, as a process of its own, so it pays what grok pays to start (Python, the
WebSocket library) and nothing for parsing beyond json.loads.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp


async def main(prompt: str) -> None:
    base, cookie = os.environ["GROK_BASE_URL"], os.environ["GROK_COOKIE"]
    user_id = os.environ.get("BENCH_USER_ID", "")
    url = f"{base.replace('http', 'ws', 1)}/ws/mgw/?uid={user_id}"
    headers = {"cookie": f"{cookie}; x-userid={user_id}", "user-agent": "Mozilla/5.0 Chrome/146.0.0.0"}
    out = sys.stdout
    async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=headers) as ws:
        await ws.send_json({"event": {"type": "session.create", "session": {"model": "fast", "x_grok": {}}}})
        async for msg in ws:
            for wrapped in _messages(msg.data):
                event = wrapped["event"]
                kind = event["type"]
                if kind == "conversation.attached":
                    sid = event["conversation"]["id"]
                    item = {"type": "message", "role": "user", "x_grok": {"input_chunks": [{"text": {"text": prompt}}]}}
                    await ws.send_json({"session_id": sid, "event": {"type": "conversation.item.create", "item": item}})
                    await ws.send_json({"session_id": sid, "event": {"type": "response.create"}})
                elif kind == "response.chunk":
                    text = event["chunk"].get("text") or {}
                    if text.get("channel") == "CHANNEL_ASSISTANT_RESPONSE":
                        out.write(text["text"])
                        out.flush()
                elif kind == "response.done":
                    return


def _messages(text: str) -> list[dict]:
    """grok.com may pack several events into one message, back to back."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
