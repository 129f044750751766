"""Scenario scripts: what the fake grok.com answers to one chat request.

A scenario is a pure function ``ChatContext -> Reject | Stream``. ``Reject`` is an HTTP-level
refusal (nothing streamed); ``Stream`` is the list of writes the server performs, plus what it
must remember afterwards (the assistant node, the title, the images it has to serve). The
server owns ids, state and I/O; scenarios only decide bytes, so each one reads as a transcript.

Each scenario reproduces a case from grok-protocol.md (section given in its docstring).
Scenarios that answer normally say :func:`short_answer` so tests can compare output byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import frames as f
from .pages import challenge_headers, challenge_page

__all__ = [
    "DISTINCTIVE_TITLE",
    "VERBATIM_FOLLOW_MESSAGE",
    "VERBATIM_NEW_MESSAGE",
    "SCENARIOS",
    "SEARCH_RESULTS",
    "THINKING_STEPS",
    "ChatContext",
    "Chunk",
    "Frame",
    "Pause",
    "Reject",
    "Stall",
    "Stream",
    "UnknownScenario",
    "choose",
    "long_answer",
    "markdown_answer",
    "parse",
    "run",
    "search_answer",
    "short_answer",
    "title_for",
    "tools_answer",
]

Json = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# Plan types


@dataclass(frozen=True)
class Frame:
    """One JSON object, written as compact JSON + "\\n" in its own write."""

    obj: Json


@dataclass(frozen=True)
class Chunk:
    """Bytes written verbatim in one write (for awkward framing)."""

    data: bytes


@dataclass(frozen=True)
class Pause:
    """Extra sleep, so the previous write reaches the client on its own."""

    seconds: float


@dataclass(frozen=True)
class Stall:
    """Send nothing for up to ``seconds`` (the server ends it early if the client leaves)."""

    seconds: float


Step = Frame | Chunk | Pause | Stall


@dataclass(frozen=True)
class Reject:
    """An HTTP error instead of a stream."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    exhaust_quota: bool = False  # rate_limited: the mode's quota reads 0 afterwards


@dataclass
class Stream:
    steps: list[Step]
    user_response: Json
    delay: float | None = None  # None: the server's delay between frames
    assistant_id: str | None = None  # set once a frame has shown the assistant id
    model_response: Json | None = None  # None: the assistant node is stored as partial
    final_text: str = ""
    title: str | None = None
    images: tuple[str, ...] = ()  # relative asset paths to serve as generated images
    gateway: str | None = None  # how the gateway speaks this answer (testing.gateway.STYLES); None: its default


@dataclass(frozen=True)
class ChatContext:
    """What a scenario may look at. Ids and objects come from the server."""

    nested: bool  # /new (result.response.*) vs /responses (flat result.*)
    prompt: str
    param: str | None
    body: Mapping[str, Any]
    mode: str
    conversation: Json  # the conversation object (sent only on /new)
    user_response: Json
    user_response_id: str
    assistant_id: str
    parent_response_id: str | None
    user_id: str
    other_url: str
    now: float
    attempt: int  # 1 for the first request with this conversation+prompt
    statsig: str
    earlier_statsigs: frozenset[str]
    new_id: Callable[[], str]
    trace_id: str

    @property
    def wants_follow_ups(self) -> bool:
        # finalMetadata appears only when the body asks for both (CAP, §5.4 a).
        return self.body.get("disableTextFollowUps") is False and self.body.get("sendFinalMetadata") is True


class UnknownScenario(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Deterministic answers (exported so tests can compare byte for byte)

_SCENARIO_RE = re.compile(r"scenario:([A-Za-z0-9_]+)(?::(\S+))?")

DISTINCTIVE_TITLE = "Fake Grok’s distinctive title ✦"

THINKING_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Thinking about your request", ("- Reading the question", " carefully\n", "- Choosing a short, friendly reply")),
    ("Drafting the answer", ("- Keeping it to one sentence",)),
)

SEARCH_RESULTS: tuple[Json, ...] = (
    {
        "url": "https://example.org/lunar-distance",
        "title": "Lunar distance – Example Encyclopedia",
        "preview": "The average distance between Earth and the Moon is about 384,400 km.",
    },
    {
        "url": "https://example.com/moon-facts",
        "title": "Moon facts",
        "preview": "The Moon drifts away from Earth by about 3.8 cm every year.",
    },
    {
        "url": "https://example.net/tides",
        "title": "Tides and the Moon",
        "preview": "Tidal friction slowly transfers Earth's rotational momentum to the Moon.",
    },
)

_CITATIONS = (("c1t4a", 1, SEARCH_RESULTS[0]), ("c2t4b", 2, SEARCH_RESULTS[1]))

_LONG_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def _topic(prompt: str) -> str:
    """The prompt without scenario keywords, whitespace collapsed, control characters dropped
    (so the echo survives a terminal sink unchanged), at most 60 characters."""
    text = "".join(ch for ch in _SCENARIO_RE.sub(" ", prompt) if ch.isprintable() or ch.isspace())
    return " ".join(text.split())[:60] or "nothing in particular"


def short_answer(prompt: str) -> str:
    """What the `short` scenario (and every "normal" one) answers to ``prompt``."""
    return f"Hello! You asked about “{_topic(prompt)}”. This is a [fake] answer from the offline Grok server ✓"


def instructions_answer(instructions: str) -> str:
    """What the `instructions` scenario answers: the custom instructions the turn carried."""
    shown = " ".join("".join(ch for ch in instructions if ch.isprintable() or ch.isspace()).split())
    return f"Instructions: “{shown}”" if shown else "No instructions."


def title_for(prompt: str) -> str:
    """The title the server gives a new conversation started with ``prompt``."""
    return f"Fake chat: {_topic(prompt)[:40]}"


def long_answer(n: int) -> str:
    """The `long:N` answer: N tokens, each a short word and a space."""
    return "".join(f"{_LONG_WORDS[i % len(_LONG_WORDS)]} " for i in range(n))


def markdown_answer(sections: int = 1) -> str:
    """The `markdown[:N]` answer: heading, paragraph, list, fenced Python, table; with N > 1,
    that many such sections under numbered headings (a long answer of many blocks)."""
    if sections != 1:
        return "\n\n".join(_markdown_section(f"Heading {n}") for n in range(1, sections + 1))
    return _markdown_section("Heading")


def _markdown_section(heading: str) -> str:
    return (
        f"# {heading}\n\n"
        "A paragraph with **bold** text, *emphasis* and `inline code`.\n\n"
        "- first item\n- second item\n- third item\n\n"
        '```python\ndef greet(name: str) -> str:\n    return f"Hello, {name}!"\n```\n\n'
        "| planet | moons |\n|---|---|\n| Earth | 1 |\n| Mars | 2 |"
    )


def tools_answer() -> str:
    """The `tools` answer (after a code_execution tool card)."""
    return "I ran the code: 6 × 7 = 42."


def _citation(card_id: str, number: int) -> str:
    return (
        f'<grok:render card_id="{card_id}" card_type="citation_card" type="render_inline_citation">'
        f'<argument name="citation_id">{number}</argument></grok:render>'
    )


def _search_tokens() -> list[str]:
    # The two citation markups are split ACROSS tokens, at different places, as real streams do.
    c1 = _citation(*_CITATIONS[0][:2])
    c2 = _citation(*_CITATIONS[1][:2])
    cut1 = c1.index('type="render_inline') + len('type="render_inline')
    cut2 = c2.index("<argument") + len("<argu")
    return [
        "The Moon",
        " is about",
        " 384,400 km",
        " away on average" + c1[:cut1],
        c1[cut1:] + ". It",
        " drifts away",
        " by about 3.8 cm",
        " per year" + c2[:cut2],
        c2[cut2:] + ".",
    ]


def search_answer() -> str:
    """The raw `search` message, <grok:render> citation markup included (as modelResponse.message)."""
    return "".join(_search_tokens())


# ---------------------------------------------------------------------------------------------
# Building streams


def _words(text: str) -> list[str]:
    """Split into LLM-like tokens: leading whitespace stays with the next word."""
    return re.findall(r"\s*\S+|\s+", text)


def _small_pieces(text: str) -> list[str]:
    return re.findall(r"\s*\S{1,4}|\s+", text)


class _Reply:
    """Accumulates the steps of one reply in the right envelope."""

    def __init__(self, ctx: ChatContext, user_response: Json | None = None) -> None:
        self.ctx = ctx
        self.aid = ctx.assistant_id
        self.user_response = user_response if user_response is not None else ctx.user_response
        self.steps: list[Step] = []
        self.final: list[str] = []
        self.introduced = False
        self.model_response: Json | None = None
        self.title: str | None = None
        self.images: list[str] = []

    # raw helpers
    def line(self, obj: Json) -> None:
        self.steps.append(Frame(obj))

    def wrap(self, payload: Json) -> Json:
        return f.envelope(payload, self.ctx.nested)

    def reply(self, payload: Json) -> None:
        self.line(self.wrap(payload))
        if payload.get("responseId") == self.aid:
            self.introduced = True

    # the usual frames, in the usual order
    def opening(self) -> None:
        if self.ctx.nested:
            self.line(f.conversation_line(self.ctx.conversation))
        self.reply(f.with_response_id({"userResponse": self.user_response}, self.ctx.user_response_id))

    def layout(self, *, think_long: bool = False, effort: str = "LOW") -> None:
        self.reply(f.ui_layout(self.aid, layout="SPLIT", think_long=think_long, effort=effort))
        self.reply(f.llm_info(self.aid))
        self.reply(f.ui_layout(self.aid, layout="FUNCTION_CALL", effort=effort))

    def say(self, text: str, *, tag: str | None = "final", thinking: bool = False, **extra: Any) -> None:
        self.reply(f.token(text, self.aid, tag=tag, thinking=thinking, **extra))
        if not thinking and tag in ("final", None):
            self.final.append(text)

    def say_all(self, tokens: list[str], *, tag: str | None = "final") -> None:
        for t in tokens:
            self.say(t, tag=tag)

    def think(self, steps: tuple[tuple[str, tuple[str, ...]], ...] = THINKING_STEPS) -> None:
        for n, (header, summaries) in enumerate(steps):
            self.say(header, tag="header", thinking=True, step=n)
            for s in summaries:
                self.say(s, tag="summary", thinking=True, step=n)

    def soft_stop(self) -> None:
        self.reply(f.soft_stop(self.aid))

    def follow_ups(self, labels: list[str]) -> None:
        if self.ctx.wants_follow_ups:
            self.reply(f.final_metadata(self.aid, labels))

    def finish(self, *, effort: str = "LOW", message: str | None = None, **overrides: Any) -> None:
        """Send modelResponse; its message is exactly the concatenated final tokens."""
        self.model_response = f.model_response_object(
            response_id=self.aid,
            message="".join(self.final) if message is None else message,
            parent_response_id=self.ctx.user_response_id,
            create_time=self.ctx.now,
            mode=self.ctx.mode,
            trace_id=self.ctx.trace_id,
            effort=effort,
            **overrides,
        )
        self.reply(f.with_response_id({"modelResponse": self.model_response}, self.aid))

    def close(self, title: str | None = None) -> None:
        """The title line, on /new only (follow-ups have none, §5.4 b)."""
        if self.ctx.nested:
            self.title = title or title_for(self.ctx.prompt)
            self.line(f.title_line(self.title))

    def complete(self, tokens: list[str], **finish: Any) -> None:
        self.say_all(tokens)
        self.soft_stop()
        self.follow_ups([f"Tell me more about {_topic(self.ctx.prompt)[:30]}", "Give me an example"])
        self.finish(**finish)
        self.close()

    def build(self, delay: float | None = None) -> Stream:
        return Stream(
            steps=self.steps,
            user_response=self.user_response,
            delay=delay,
            assistant_id=self.aid if self.introduced else None,
            model_response=self.model_response,
            final_text="".join(self.final),
            title=self.title,
            images=tuple(self.images),
        )


def _error_body(code: int, message: str) -> bytes:
    return json.dumps(f.error_object(code, message), separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------------
# Scenarios


# grok.com's modes that reason before every answer; an answer of theirs without any reasoning is
# what a session grok.com distrusts gets (§9.1 "Degraded accounts").
THINKING_MODES = frozenset({"expert", "heavy"})
BRIEF_THINKING = (("Thinking about your request", ("- Reading the question",)),)


def _short(ctx: ChatContext) -> Stream:
    """§5.4 (a)/(b) shape with a deterministic English answer (after a brief thought in a mode
    that always thinks)."""
    r = _Reply(ctx)
    r.opening()
    r.layout(think_long=ctx.mode in THINKING_MODES)
    if ctx.mode in THINKING_MODES:
        r.think(BRIEF_THINKING)
    r.complete(_words(short_answer(ctx.prompt)))
    return r.build()


def _degraded(ctx: ChatContext) -> Stream:
    """§9.1 degraded session: the short answer with no reasoning at all, whatever the mode, after a
    web search for grok.com's placeholder query."""
    r = _Reply(ctx)
    r.opening()
    r.layout()
    _tool_card(r, "web_search", {"query": "current information and recent sources"},
               {"webSearch": {"args": {"query": "current information and recent sources"}}})  # fmt: skip
    r.complete(_words(short_answer(ctx.prompt)))
    return r.build()


# Tokens of the 2026-03-08 capture (CAP); their concatenation is the captured message.
_VERBATIM_NEW_TOKENS = [
    "测试", "收到", "！", "  \n\n", "精简", "模式", "已", "就位", " 😄", "  \n\n", "你想", "让我", "继续",
    "保持", "这种", "最", "短", "回答", "风格", "，", "还是", "有", "具体", "问题", "要", "丢", "过来", "？",
]  # fmt: skip
_VERBATIM_FOLLOW_TOKENS = [
    "哈哈", "，那就", "好", "～", "😄", "  \n", "今天", "有啥", "开心的", "事儿", "，", "或者", "有什么",
    "想", "聊的", "吗", "？", "随便", "扯", "都行", "～",
]  # fmt: skip
VERBATIM_NEW_MESSAGE = (
    "测试收到！  \n\n精简模式已就位 😄  \n\n你想让我继续保持这种最短回答风格，还是有具体问题要丢过来？"
)
VERBATIM_FOLLOW_MESSAGE = "哈哈，那就好～😄  \n今天有啥开心的事儿，或者有什么想聊的吗？随便扯都行～"


def _verbatim(ctx: ChatContext) -> Stream:
    """§5.4 (a) on /new, (b) on /responses: the captured lines with this server's ids."""
    if ctx.nested:
        user = f.response_object(
            response_id=ctx.user_response_id,
            message=ctx.prompt,
            sender="human",
            create_time=ctx.now,
            model="grok-4-auto",
        )
        tokens, trace, title = _VERBATIM_NEW_TOKENS, "b6357e990b93928dc3de0df1c758f343", "精简模式测试"
    else:
        user = f.user_response_object(
            response_id=ctx.user_response_id,
            message=ctx.prompt,
            create_time=ctx.now,
            mode="auto",
            parent_response_id=ctx.parent_response_id,
        )
        tokens, trace, title = _VERBATIM_FOLLOW_TOKENS, "5f1c0a7e9b2d4c6e8a0b1c2d3e4f5a6b", None
    # The capture's mode was "auto"; replay it whatever the body asked for.
    r = _Reply(replace(ctx, mode="auto", trace_id=trace), user)
    r.opening()
    r.layout()
    r.say_all(tokens)
    r.soft_stop()
    r.follow_ups(["新加坡文化介绍"])
    r.finish()
    r.close(title)
    return r.build()


def _thinking(ctx: ChatContext) -> Stream:
    """§5.4 (c): header/summary thinking tokens, then the answer; thinking times on modelResponse."""
    r = _Reply(ctx)
    r.opening()
    r.layout(think_long=True, effort="HIGH")
    r.think()
    r.say_all(_words(short_answer(ctx.prompt)))
    r.soft_stop()
    r.follow_ups(["Why is that?"])
    r.finish(
        effort="HIGH",
        thinkingStartTime=f.iso_millis(ctx.now),
        thinkingEndTime=f.iso_millis(ctx.now + 2.5),
    )
    r.close()
    return r.build()


def _legacy_thinking(ctx: ChatContext) -> Stream:
    """2025 grok-3 "Think" stream: isThinking flags only, no messageTag anywhere, no uiLayout."""
    r = _Reply(ctx)
    r.opening()
    for _, summaries in THINKING_STEPS:
        for s in summaries:
            r.say(s, tag=None, thinking=True)
    r.say_all(_words(short_answer(ctx.prompt)), tag=None)
    r.soft_stop()
    r.finish()
    r.close()
    return r.build()


def _tool_card_xml(card_id: str, name: str, args: Json) -> str:
    cdata = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
    return (
        "<xai:tool_usage_card>\n"
        f"  <xai:tool_usage_card_id>{card_id}</xai:tool_usage_card_id>\n"
        f"  <xai:tool_name>{name}</xai:tool_name>\n"
        f"  <xai:tool_args><![CDATA[{cdata}]]></xai:tool_args>\n"
        "</xai:tool_usage_card>"
    )


def _tool_card(r: _Reply, name: str, args: Json, card: Json) -> str:
    card_id = r.ctx.new_id()
    r.say(
        _tool_card_xml(card_id, name, args),
        tag="tool_usage_card",
        thinking=True,
        toolUsageCardId=card_id,
        toolUsageCard={"toolUsageCardId": card_id, **card},
    )
    return card_id


def _tool_result(response_id: str, card_id: str, payload: Json) -> Json:
    # Results frames ride inside thinking, tagged like the card they answer (§5.4 c).
    return {
        **payload,
        "toolUsageCardId": card_id,
        "isThinking": True,
        "isSoftStop": False,
        "messageTag": "tool_usage_card",
        "responseId": response_id,
    }


def _tools(ctx: ChatContext) -> Stream:
    """§5.3 tool usage: a code_execution card (CDATA args) inside thinking, then the answer."""
    r = _Reply(ctx)
    r.opening()
    r.layout(think_long=True, effort="HIGH")
    r.say("Thinking about your request", tag="header", thinking=True, step=0)
    r.say("- Computing 6 × 7 with code", tag="summary", thinking=True, step=0)
    code = "print(6 * 7)"
    _tool_card(r, "code_execution", {"code": code}, {"codeExecution": {"args": {"code": code, "language": ""}}})
    r.say("- The code printed 42", tag="summary", thinking=True, step=1)
    r.say_all(_words(tools_answer()))
    r.soft_stop()
    r.finish(effort="HIGH", thinkingStartTime=f.iso_millis(ctx.now), thinkingEndTime=f.iso_millis(ctx.now + 1.5))
    r.close()
    return r.build()


def _search(ctx: ChatContext) -> Stream:
    """§5.3/§5.4 (c): web_search + x_search cards and results, citations split across tokens."""
    r = _Reply(ctx)
    r.opening()
    r.layout(think_long=True, effort="HIGH")
    r.say("Thinking about your request", tag="header", thinking=True, step=0)
    r.say("- Searching the web for the Earth–Moon distance", tag="summary", thinking=True, step=0)
    query = "average distance earth moon"
    web_id = _tool_card(r, "web_search", {"query": query}, {"webSearch": {"args": {"query": query}}})
    results = [
        {
            **res,
            "searchEngineText": "",
            "description": res["preview"],
            "siteName": res["url"].split("/")[2],
            "metadataTitle": res["title"],
            "creator": "",
            "image": "",
            "favicon": "",
            "citationId": str(n),
        }
        for n, res in enumerate(SEARCH_RESULTS, start=1)
    ]
    r.reply(_tool_result(r.aid, web_id, {"webSearchResults": {"results": results}}))
    x_query = "moon recession"
    x_id = _tool_card(r, "x_search", {"query": x_query}, {"xSearch": {"args": {"query": x_query}}})
    posts = [
        {
            "username": "moonfacts",
            "name": "Moon Facts",
            "text": "The Moon moves about 3.8 cm farther from Earth every year.",
            "createTime": "2026-01-15T12:00:00Z",
            "profileImageUrl": "",
            "postId": "1879000000000000001",
            "citationId": "3",
        }
    ]
    r.reply(_tool_result(r.aid, x_id, {"xSearchResults": {"results": posts}}))
    cards: list[str] = []
    for card_id, _, res in _CITATIONS:
        data = json.dumps(
            {
                "id": card_id,
                "type": "render_inline_citation",
                "cardType": "citation_card",
                "url": res["url"],
                "title": res["title"],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        cards.append(data)
        r.reply(_card_frame(r.aid, data))
    r.say_all(_search_tokens())
    r.soft_stop()
    r.finish(
        effort="HIGH",
        webSearchResults=results,
        citedWebSearchResults=results[:2],
        xposts=posts,
        xpostIds=[p["postId"] for p in posts],
        cardAttachmentsJson=cards,
    )
    r.close("Earth–Moon distance")
    return r.build()


def _image_count(ctx: ChatContext) -> int:
    try:
        return max(0, min(8, int(ctx.body.get("imageGenerationCount", 2))))
    except (TypeError, ValueError):
        return 2


_IMAGE_VARIANTS = frozenset({"png", "missing"})


def _image_variants(ctx: ChatContext) -> frozenset[str]:
    """`images_*:png` serves the finals as PNG; `:missing` serves no bytes for the first final
    (a download that fails); both: `:png,missing`."""
    wanted = frozenset(v for v in (ctx.param or "").split(",") if v)
    if wanted - _IMAGE_VARIANTS:
        raise UnknownScenario(f"image variants are {', '.join(sorted(_IMAGE_VARIANTS))}, got {ctx.param!r}")
    return wanted


def _image_path(ctx: ChatContext, image_id: str, preview: bool = False) -> str:
    ext = "png" if not preview and "png" in _image_variants(ctx) else "jpg"
    return f"users/{ctx.user_id}/generated/{image_id}{'-part-0' if preview else ''}/image.{ext}"


def _served(ctx: ChatContext, paths: list[str], first_final: str) -> tuple[str, ...]:
    return tuple(p for p in paths if not ("missing" in _image_variants(ctx) and p == first_final))


def _images_legacy_frames(r: _Reply, urls: list[tuple[str, str, str]], moderated: tuple[str, str, str] | None) -> None:
    """(d) legacy: progressReport, imageDimensions, 50 % previews, 100 % finals (+ a moderated one)."""
    r.reply(
        {
            "progressReport": {
                "category": "PROGRESS_REPORT_CATEGORY_IMAGE_GENERATION",
                "state": "PROGRESS_REPORT_STATUS_PENDING",
                "message": "Generating images",
                "percentage": 0,
            },
            "responseId": r.aid,
        }
    )
    r.reply({"imageDimensions": {"width": 832, "height": 1248}, "responseId": r.aid})
    everything = urls + ([moderated] if moderated else [])
    for index, (image_id, preview, _) in enumerate(everything):
        r.reply(
            {
                "streamingImageGenerationResponse": {
                    "imageId": image_id,
                    "imageUrl": preview,
                    "progress": 50,
                    "imageIndex": index,
                },
                "responseId": r.aid,
            }
        )
    for index, (image_id, _, final) in enumerate(everything):
        is_moderated = moderated is not None and image_id == moderated[0]
        r.reply(
            {
                "streamingImageGenerationResponse": {
                    "imageId": image_id,
                    "imageUrl": final,
                    "progress": 100,
                    "moderated": is_moderated,
                    "imageIndex": index,
                },
                "responseId": r.aid,
            }
        )


def _images_legacy(ctx: ChatContext) -> Stream:
    """§5.4 (d) legacy image stream; generatedImageUrls lists the non-moderated finals."""
    r = _Reply(ctx)
    r.opening()
    r.say(f"I generated images with the prompt: '{_topic(ctx.prompt)}'")
    good = []
    for _ in range(_image_count(ctx)):
        image_id = ctx.new_id()
        good.append((image_id, _image_path(ctx, image_id, True), _image_path(ctx, image_id)))
    bad_id = ctx.new_id()
    bad = (bad_id, _image_path(ctx, bad_id, True), _image_path(ctx, bad_id))
    _images_legacy_frames(r, good, bad)
    paths = [p for _, preview, final in [*good, bad] for p in (preview, final)]
    r.images = list(_served(ctx, paths, good[0][2] if good else ""))
    r.soft_stop()
    r.finish(generatedImageUrls=[final for _, _, final in good])
    r.close("Generated images")
    return r.build()


def _image_card(card_id: str, image_id: str, url: str, progress: int, moderated: bool | None = None) -> str:
    """The jsonData string of a 2026 generated_image_card (moderated only on the final chunk)."""
    chunk: Json = {"imageUuid": image_id, "imageUrl": url, "progress": progress}
    if moderated is not None:
        chunk["moderated"] = moderated
    body = {"id": card_id, "type": "render_generated_image", "cardType": "generated_image_card", "image_chunk": chunk}
    return json.dumps(body, separators=(",", ":"))


def _card_frame(response_id: str, json_data: str) -> Json:
    return f.with_response_id({"cardAttachment": {"jsonData": json_data}, "messageTag": "final"}, response_id)


def _images_cards(ctx: ChatContext) -> Stream:
    """§5.4 (d) 2026 card format: cardAttachment.jsonData image_chunk 50 → render token → 100."""
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.say(f"Here are images of {_topic(ctx.prompt)}:\n\n")
    finals: list[str] = []
    count = _image_count(ctx)
    for n in range(count + 1):
        moderated = n == count  # the last one is moderated
        image_id = ctx.new_id()
        card_id = ctx.new_id().replace("-", "")[:5]
        preview, final = _image_path(ctx, image_id, True), _image_path(ctx, image_id)
        r.images += [preview, final]

        r.reply(_card_frame(r.aid, _image_card(card_id, image_id, preview, 50)))
        r.say(
            f'<grok:render card_id="{card_id}" card_type="generated_image_card" type="render_file">'
            f'<argument name="file_path">/home/workdir/artifacts/imagine_images/image_{n}.jpg</argument></grok:render>'
        )
        done = _image_card(card_id, image_id, final, 100, moderated)
        finals.append(done)
        r.reply(_card_frame(r.aid, done))
    r.images = list(_served(ctx, r.images, r.images[1]))
    r.soft_stop()
    r.finish(cardAttachmentsJson=finals)
    r.close("Generated images")
    return r.build()


def _images_evil(ctx: ChatContext) -> Stream:
    """Hostile image URLs: one normal, one relative traversal, one absolute URL on another host."""
    r = _Reply(ctx)
    r.opening()
    r.say("Here are your images.")
    good_id, trav_id, abs_id = ctx.new_id(), ctx.new_id(), ctx.new_id()
    good = (good_id, _image_path(ctx, good_id, True), _image_path(ctx, good_id))
    traversal = (trav_id, "../../etc/passwd-preview", "../../etc/passwd")
    absolute = (
        abs_id,
        f"{ctx.other_url}/{_image_path(ctx, abs_id, True)}",
        f"{ctx.other_url}/{_image_path(ctx, abs_id)}",
    )
    _images_legacy_frames(r, [good, traversal, absolute], None)
    # Serve the traversal targets too (under the path an HTTP client normalises them to), so
    # a client that downloads them really gets bytes and must still keep them in its dir.
    r.images = [good[1], good[2], "etc/passwd-preview", "etc/passwd"]
    r.soft_stop()
    r.finish(generatedImageUrls=[good[2], traversal[2], absolute[2]])
    r.close("Evil images")
    return r.build()


def _unknown_mode(ctx: ChatContext) -> Stream:
    """§6/§7.2: grok.com's reply to an unknown mode: one thinking header, then EOF."""
    r = _Reply(ctx)
    r.opening()
    r.reply(f.ui_layout(r.aid, layout="SPLIT", think_long=False))
    r.say("Thinking about your request", tag="header", thinking=True, step=0)
    return r.build()


def _partial(ctx: ChatContext, n: int = 3) -> _Reply:
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.say_all(_words(short_answer(ctx.prompt))[:n])
    return r


def _truncated(ctx: ChatContext) -> Stream:
    """§5.3 terminal condition: final tokens, then EOF without soft stop or modelResponse."""
    return _partial(ctx).build()


def _empty(ctx: ChatContext) -> Stream:
    """Conversation + userResponse lines, then EOF: no text at all."""
    r = _Reply(ctx)
    r.opening()
    return r.build()


def _stream_error(code: int, message: str) -> Callable[[ChatContext], Stream]:
    def scenario(ctx: ChatContext) -> Stream:
        """§5.1/§7.2: a top-level error line inside an HTTP-200 stream, then EOF."""
        r = _partial(ctx)
        r.line(f.error_object(code, message))
        return r.build()

    return scenario


_STREAM_ERRORS: dict[str, Json] = {
    "attachment": {"message": "Attachment failed to load", "attachmentLoadFailed": True, "severity": "ERROR"},
    "usage": {
        "message": "You have reached your usage limit for this model. Please try again later.",
        "globalRateLimit": True,
        "severity": "ERROR",
    },
}


# Rejections of one attached file (G3A proto StreamError: each reason is a details object;
# some name the file, which the fake takes from the first attachment of the request).
_ATTACHMENT_ERRORS: dict[str, tuple[str, str, Json]] = {
    "file_too_large": ("attachmentFileTooLarge", "File is too large", {}),
    "image_too_large": ("attachmentImageTooLarge", "Image is too large", {"maxSizeBytes": 20 * 1024 * 1024}),
    "too_many_pages": ("attachmentTooManyPages", "Document has too many pages", {"maxPages": 100}),
    "moderated": ("attachmentModerated", "Attachment was moderated", {}),
}
_NAMED = frozenset({"file_too_large", "image_too_large"})


def _attachment_error(variant: str, ctx: ChatContext) -> Json:
    flag, message, details = _ATTACHMENT_ERRORS[variant]
    files = ctx.user_response.get("fileAttachmentsMetadata") or []
    if variant in _NAMED and files:
        details = {**details, "fileName": files[0]["fileName"]}
    return {"message": message, flag: details, "severity": "ERROR"}


def _stream_errors_field(ctx: ChatContext) -> Stream:
    """§7.2 modelResponse.streamErrors (variants `usage`, `attachment`, and per-file rejections)."""
    variant = ctx.param or "attachment"
    if variant in _ATTACHMENT_ERRORS:
        error = _attachment_error(variant, ctx)
    elif variant in _STREAM_ERRORS:
        error = _STREAM_ERRORS[variant]
    else:
        known = sorted([*_STREAM_ERRORS, *_ATTACHMENT_ERRORS])
        raise UnknownScenario(f"stream_errors_field variant must be one of {known}")
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.say_all(_words("Sorry, something went wrong with this request."))
    r.soft_stop()
    r.finish(streamErrors=[error])
    r.close()
    return r.build()


def _model_error(ctx: ChatContext) -> Stream:
    """§7.2 modelResponse.error string (CHY-py 2025), with no text."""
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.soft_stop()
    r.finish(error="Something went wrong")
    return r.build()


def _instructions(ctx: ChatContext) -> Stream:
    """Answers with the custom instructions the turn carried, as grok.com received them."""
    instructions = ctx.body.get("customInstructions", "")
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.complete(_words(instructions_answer(instructions if isinstance(instructions, str) else "")))
    return r.build()


def _stall(ctx: ChatContext) -> Stream:
    """A few tokens, then silence (default 600 s) until the client's idle timeout or Ctrl-C."""
    seconds = _float_param(ctx.param, 600.0)
    r = _partial(ctx)
    r.steps.append(Stall(seconds))
    return r.build()


def _slow(ctx: ChatContext) -> Stream:
    """A normal answer with `slow:SECONDS` between frames (default 0.2)."""
    stream = _short(ctx)
    stream.delay = _float_param(ctx.param, 0.2)
    return stream


def _long(ctx: ChatContext) -> Stream:
    """`long:N` (default 1000) word tokens with no delay, for throughput benchmarks."""
    n = _int_param(ctx.param, 1000)
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.complete([f"{_LONG_WORDS[i % len(_LONG_WORDS)]} " for i in range(n)])
    return r.build(delay=0.0)


def _wide(ctx: ChatContext) -> Stream:
    """`wide:BYTES` (default 5 MiB): an answer that large in four tokens. Over the gateway its
    response.output_text.done is one message of the whole answer, as grok.com sends it."""
    size = _int_param(ctx.param, 5 * 2**20)
    quarter = -(-size // 4)
    words = ("wide " * (quarter // 5 + 1))[:quarter]
    r = _Reply(ctx)
    r.opening()
    r.complete([words] * 3 + [words[: size - 3 * quarter]])
    return r.build(delay=0.0)


def _markdown(ctx: ChatContext) -> Stream:
    """`markdown[:N]`: the Markdown answer (N sections of it) in small tokens."""
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.complete(_small_pieces(markdown_answer(_int_param(ctx.param, 1))))
    return r.build()


def _title(ctx: ChatContext) -> Stream:
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.say_all(_words(short_answer(ctx.prompt)))
    r.soft_stop()
    r.finish()
    r.close(DISTINCTIVE_TITLE)
    return r.build()


def _split_frames(ctx: ChatContext) -> Stream:
    """Awkward framing: a frame split over two writes (once inside a UTF-8 character), two
    objects on one line, a blank line, a `data: ` prefix, CRLF, several frames per write."""
    tokens = _words(short_answer(ctx.prompt))
    r = _Reply(ctx)
    pause = Pause(0.02)
    if ctx.nested:
        r.line(f.conversation_line(ctx.conversation))
    user = f.dumps(r.wrap(f.with_response_id({"userResponse": r.user_response}, ctx.user_response_id)))
    half = len(user) // 2
    r.steps += [Chunk(user[:half]), pause, Chunk(user[half:])]
    layout = f.dumps(r.wrap(f.ui_layout(r.aid, layout="SPLIT")))
    info = f.dumps(r.wrap(f.llm_info(r.aid)))
    r.steps.append(Chunk(layout[:-1] + info))  # two objects, one line
    r.steps.append(Chunk(b"\n"))  # blank line
    r.steps.append(Chunk(b"data: " + f.dumps(r.wrap(f.ui_layout(r.aid, layout="FUNCTION_CALL")))))
    r.introduced = True
    for i, t in enumerate(tokens):
        data = f.dumps(r.wrap(f.token(t, r.aid)))
        r.final.append(t)
        if "✓" in t:  # cut inside the 3-byte UTF-8 sequence of ✓
            cut = data.index("✓".encode()) + 1
            r.steps += [Chunk(data[:cut]), pause, Chunk(data[cut:])]
        elif i == 1:
            r.steps.append(Chunk(data[:-1] + b"\r\n"))  # CRLF line ending
        else:
            r.steps.append(Chunk(data))
    before = len(r.steps)
    r.soft_stop()
    r.finish()
    r.close()
    tail = b"".join(f.dumps(s.obj) for s in r.steps[before:] if isinstance(s, Frame))
    r.steps[before:] = [Chunk(tail)]  # soft stop, modelResponse and title in one write
    return r.build()


# Values of a type no frame should carry, each one crashed a client once (protocol 10.3:
# "tolerate unknown keys"; every field of a frame is untrusted).
_HOSTILE = ("tag_list", "progress_infinity", "image_urls_number", "results_float")


def _hostile(ctx: ChatContext) -> Stream:
    """`hostile:<variant>`: the short answer with one frame whose field has an absurd JSON value
    halfway through: a list as messageTag, an image progress of Infinity, generatedImageUrls 5,
    webSearchResults.results 1.5. A robust client ignores the value and keeps the answer."""
    variant = ctx.param or ""
    if variant not in _HOSTILE:
        raise UnknownScenario(f"hostile variants are {', '.join(_HOSTILE)}, got {ctx.param!r}")
    tokens = _words(short_answer(ctx.prompt))
    half = len(tokens) // 2
    r = _Reply(ctx)
    r.opening()
    r.layout()
    r.say_all(tokens[:half])
    finish: Json = {}
    if variant == "tag_list":
        r.reply(f.token(tokens[half], r.aid, tag=None, messageTag=["final"]))
        r.final.append(tokens[half])
        half += 1
    elif variant == "progress_infinity":
        image = {"imageId": ctx.new_id(), "imageUrl": _image_path(ctx, "x", True), "progress": float("inf")}
        r.reply(f.with_response_id({"streamingImageGenerationResponse": image}, r.aid))
    elif variant == "results_float":
        r.reply(_tool_result(r.aid, ctx.new_id(), {"webSearchResults": {"results": 1.5}}))
    else:
        finish["generatedImageUrls"] = 5
    r.say_all(tokens[half:])
    r.soft_stop()
    r.finish(**finish)
    r.close()
    return r.build()


def _deltas(ctx: ChatContext) -> Stream:
    """The untagged thinking answer (`legacy_thinking`); the gateway streams its text as section
    9.1's delta events (``response.output_text.delta`` / ``response.reasoning_text.delta``)."""
    stream = _legacy_thinking(ctx)
    stream.gateway = "deltas"
    return stream


# -- HTTP-level refusals -----------------------------------------------------------------------


def _reject(status: int, code: int, message: str, **kw: Any) -> Callable[[ChatContext], Reject]:
    def scenario(ctx: ChatContext) -> Reject:
        return Reject(status, _error_body(code, message), **kw)

    return scenario


def _cloudflare(ctx: ChatContext) -> Reject:
    """§7.1 Cloudflare managed challenge."""
    path = "/rest/app-chat/conversations/" + (
        "new" if ctx.nested else f"{ctx.conversation['conversationId']}/responses"
    )
    headers = challenge_headers(ctx.new_id().replace("-", "")[:16] + "-SJC")
    content_type = headers.pop("Content-Type")
    return Reject(403, challenge_page(path).encode(), content_type, headers)


def _region_block(ctx: ChatContext) -> Reject:
    return Reject(403, b"This service is not available in your region.", "text/plain; charset=utf-8")


def _rate_limited(ctx: ChatContext) -> Reject:
    """429 code 8 with retry-after: 1; /rest/rate-limits then shows 0 left for the mode."""
    return Reject(429, _error_body(8, "Too many requests"), headers={"retry-after": "1"}, exhaust_quota=True)


def _stale_statsig(ctx: ChatContext) -> Stream | Reject:
    """CHY PR #1002: 403 "out of date" until the client retries with a different x-statsig-id."""
    if not (ctx.earlier_statsigs - {ctx.statsig}):
        return Reject(403, _error_body(7, "This page is out of date. Reload to continue."))
    return _short(ctx)


_UNAVAILABLE_HTML = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _flaky(status: int) -> Callable[[ChatContext], Stream | Reject]:
    def scenario(ctx: ChatContext) -> Stream | Reject:
        """The first N requests with this prompt fail, then the answer is normal."""
        if ctx.attempt <= _int_param(ctx.param, 1):
            if status == 429:
                return Reject(429, _error_body(8, "Too many requests"), headers={"retry-after": "0"})
            if ctx.attempt % 2:
                return Reject(503, b"", "text/plain")
            return Reject(503, _UNAVAILABLE_HTML, "text/html")
        return _short(ctx)

    return scenario


def _int_param(param: str | None, default: int) -> int:
    if param is None:
        return default
    try:
        value = int(param)
    except ValueError:
        raise UnknownScenario(f"expected a whole number, got {param!r}") from None
    if value < 0:
        raise UnknownScenario(f"expected a number >= 0, got {param!r}")
    return value


def _float_param(param: str | None, default: float) -> float:
    if param is None:
        return default
    try:
        value = float(param)
    except ValueError:
        raise UnknownScenario(f"expected seconds, got {param!r}") from None
    if not 0 <= value <= 3600:
        raise UnknownScenario(f"expected 0..3600 seconds, got {param!r}")
    return value


Scenario = Callable[[ChatContext], "Stream | Reject"]

SCENARIOS: dict[str, Scenario] = {
    "short": _short,
    "degraded": _degraded,
    "verbatim": _verbatim,
    "thinking": _thinking,
    "legacy_thinking": _legacy_thinking,
    "tools": _tools,
    "search": _search,
    "images_legacy": _images_legacy,
    "images_cards": _images_cards,
    "images_evil": _images_evil,
    "follow_up": _short,
    "auth_401": _reject(401, 16, "Bad credentials"),
    "cloudflare": _cloudflare,
    "antibot": _reject(403, 7, "Request rejected by anti-bot rules."),
    "stale_statsig": _stale_statsig,
    "blocked_user": _reject(403, 7, "user is blocked"),
    "region_block": _region_block,
    "rate_limited": _rate_limited,
    "flaky_503": _flaky(503),
    "flaky_429": _flaky(429),
    "stream_error": _stream_error(13, "Internal error while generating"),
    "stream_rate_limit": _stream_error(8, "Too many requests"),
    "stream_errors_field": _stream_errors_field,
    "model_error": _model_error,
    "truncated": _truncated,
    "empty": _empty,
    "stall": _stall,
    "slow": _slow,
    "long": _long,
    "wide": _wide,
    "markdown": _markdown,
    "split_frames": _split_frames,
    "unknown_mode": _unknown_mode,
    "outdated_client": _reject(400, 3, "Invalid request. Please update your client."),
    "title": _title,
    "instructions": _instructions,
    "hostile": _hostile,
    "deltas": _deltas,
    # Section 9.1: the page may carry a Castle token in response.create; a refusal for its lack.
    "castle": _reject(403, 7, "Request rejected by anti-bot rules: castle_request_token is missing or invalid."),
}


def parse(spec: str) -> tuple[str, str | None]:
    """``"long:20000"`` -> ("long", "20000"); raises UnknownScenario for unknown names."""
    name, _, param = spec.partition(":")
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return name, (param or None)


def choose(message: str, default: str, *, draw: bool = False) -> tuple[str, str | None]:
    """A ``scenario:<name>[:<param>]`` token in the prompt wins; else the server's default.

    ``draw``: the request forces image generation (REST ``toolOverrides.imageGen``, the gateway's
    ``x_grok.tool_overrides``), and grok.com then draws even for a prompt that would get words:
    the plain default becomes images."""
    m = _SCENARIO_RE.search(message)
    if m:
        return parse(m.group(1) + (f":{m.group(2)}" if m.group(2) else ""))
    if draw and default == "short":
        return parse("images_cards")
    return parse(default)


def run(name: str, ctx: ChatContext) -> Stream | Reject:
    return SCENARIOS[name](ctx)
