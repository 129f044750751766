"""Request signing, impersonation and proxies of the REST transport."""

import asyncio
import json
import re
import threading

import pytest

from grok_cli.auth.credentials import CapturedHeader, Credentials, Secret
from grok_cli.testing import statsig
from grok_cli.transport.http import chrome_target
from grok_cli.transport.signer import Signer, compute, find_meta, is_signed

META = f'<html><head><meta name="grok-site-verification" content="{statsig.SITE_VERIFICATION}"></head></html>'
PATH = "/rest/app-chat/conversations/new"


def signer(strategy, page=META, headers=()):
    creds = Credentials({"sso": Secret("s")}, headers=headers)

    async def fetch():
        if page is None:
            raise OSError("unreachable")
        return page

    return Signer(strategy, creds, fetch, cache_file=None)


def sign(s, method="POST", path=PATH):
    return asyncio.run(s.sign(method, path))


def test_computed_signature_is_what_grok_com_verifies():
    value = sign(signer("auto"))
    assert statsig.classify(value, "POST", PATH, max_skew=5) is statsig.Verdict.OK
    assert statsig.classify(value, "POST", "/rest/app-chat/conversations/x/responses") is statsig.Verdict.WRONG_DIGEST


def test_a_zero_mask_is_still_a_valid_signature():
    meta = find_meta(META)
    value = compute("POST", PATH, meta, now=1_800_000_000, mask=0)
    assert statsig.classify(value, "POST", PATH) is statsig.Verdict.OK


def test_without_the_page_a_captured_header_for_the_same_path_is_used_then_the_fallback():
    captured = (CapturedHeader("x-statsig-id", Secret("captured-value"), PATH),)
    assert sign(signer("auto", page=None, headers=captured)) == "captured-value"
    other = sign(signer("auto", page=None, headers=captured), path="/rest/rate-limits")
    assert statsig.classify(other, "POST", "/rest/rate-limits") is statsig.Verdict.FALLBACK


def test_strategies_none_fallback_and_fixed():
    assert sign(signer("none")) is None
    assert statsig.classify(sign(signer("fallback")), "POST", PATH) is statsig.Verdict.FALLBACK
    assert sign(signer("my-fixed-value")) == "my-fixed-value"


def test_impersonation_matches_the_stored_user_agent():
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    target, sent = chrome_target(ua)
    assert sent == ua and target == "chrome131"
    target, sent = chrome_target(None)
    assert re.fullmatch(r"chrome\d+", target) and f"Chrome/{target[6:]}." in sent


def test_strict_grok_com_accepts_the_computed_signature(grok, fake):
    fake.strict_statsig = True
    try:
        r = grok("ask", "hi")
    finally:
        fake.strict_statsig = False
    assert r.code == 0, r.stderr


def test_the_web_apps_api_paths_are_signed_and_its_exceptions_are_not():
    signed = ["/rest/rate-limits", "/rest/modes", "/rest/app-chat/conversations/c1", "/http/upload-file-v2/direct"]
    unsigned = ["/rest/connectors/list-v2", "/rest/connectors/list-available-v2", "/rest/onboarding/for-user",
                "/api/auth/session", "/ws/mgw/", "/"]  # fmt: skip
    assert [p for p in signed if is_signed(p)] == signed and not [p for p in unsigned if is_signed(p)]


def test_every_rest_call_of_a_session_carries_a_signature_and_nothing_else_does(grok, fake, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("remember this")
    conversation = grok("ask", "--no-history", "--jsonl", "-f", str(note), "hi").stdout.splitlines()[-1]
    conversation_id = json.loads(conversation)["conversation_id"]
    assert grok("continue", conversation_id, "more").code == 0
    assert grok("models", "--refresh", "--quota").code == 0
    assert grok("ask", "--transport", "ws", "hi").code == 0
    sent = [r for r in fake.requests if r.origin == "web" and r.path != "/"]
    assert {r.path.split("/")[1] for r in sent} == {"rest", "http", "api", "ws"}
    assert any(r.method == "GET" and r.path.endswith(conversation_id) for r in sent)  # read back
    for r in sent:
        assert ("x-statsig-id" in r.headers) == r.path.startswith(("/rest/", "/http/")), r.path


def test_no_signature_meets_the_anti_bot_rules(grok, fake):
    r = grok("ask", "hi", env={"GROK_STATSIG": "none"})
    assert r.code == 4 and "anti-bot" in r.stderr


def test_the_user_agent_that_earned_the_cookies_is_sent(grok, fake):
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36"
    assert grok("ask", "hi", env={"GROK_USER_AGENT": ua}).code == 0
    assert fake.chat_requests()[-1].headers["user-agent"] == ua


class ForwardProxy:
    """A minimal HTTP forward proxy on loopback that records the URLs it forwarded."""

    def __init__(self):
        self.urls = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    async def _handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        method, url, version = head.split(b"\r\n", 1)[0].split(b" ")
        self.urls.append(url.decode())
        host, port, path = re.match(rb"http://([^:/]+):(\d+)(/.*)", url).groups()
        up_reader, up_writer = await asyncio.open_connection(host.decode(), int(port))
        up_writer.write(head.replace(url, path, 1))

        async def pipe(src, dst, record=False):
            try:
                while data := await src.read(65536):
                    if record:  # later requests on the same kept-alive connection
                        self.urls += [u.decode() for u in re.findall(rb"(?:GET|POST) (http://\S+) HTTP/", data)]
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, record=True), pipe(up_reader, writer))

    def __enter__(self):
        def serve():
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.url = "http://127.0.0.1:%d" % self._server.sockets[0].getsockname()[1]
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def test_requests_go_through_the_proxy(grok, fake):
    with ForwardProxy() as proxy:
        r = grok("ask", "--proxy", proxy.url, "hi")
    assert r.code == 0, r.stderr
    assert any(u.endswith(PATH) for u in proxy.urls), proxy.urls


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_dead_proxy_is_a_network_error(grok, how):
    dead = "http://127.0.0.1:9"
    r = grok("ask", "--proxy", dead, "hi") if how == "flag" else grok("ask", "hi", env={"HTTPS_PROXY": dead})
    assert r.code == 6 and "proxy" in r.stderr.lower()


def test_a_proxy_password_never_reaches_an_error_message(grok):
    r = grok("ask", "--proxy", "http://alice:s3cr3t@127.0.0.1:9", "hi")
    assert r.code == 6 and "s3cr3t" not in r.stderr


def test_received_takes_every_queued_chunk_in_one_item_and_keeps_what_came_before_a_failure():
    import asyncio

    from curl_cffi.requests.exceptions import RequestException
    from curl_cffi.requests.streams import STREAM_END

    from grok_cli.transport.http import received

    class Response:
        def __init__(self, *items):
            self.queue = asyncio.Queue()
            for item in items:
                self.queue.put_nowait(item)

    async def collect(response):
        got = []
        try:
            async for data in received(response, 5.0):
                got.append(data)
        except RequestException as e:
            got.append(e)
        return got

    assert asyncio.run(collect(Response(b"a", b"b", b"c", STREAM_END))) == [b"abc"]
    broken = RequestException("reset")
    assert asyncio.run(collect(Response(b"a", b"b", broken))) == [b"ab", broken]


def test_idle_timer_counts_only_the_waits_and_leaves_other_cancellations_alone():
    import asyncio

    import pytest

    from grok_cli.transport.idle import IdleTimer

    async def slow_reader():
        timer = IdleTimer(0.2)
        for _ in range(4):  # 0.4 s in all, but never 0.2 s in one wait
            await timer.wait(asyncio.sleep(0.05))
            await asyncio.sleep(0.25)  # the reader busy elsewhere: not the server's silence
        with pytest.raises(TimeoutError):
            await timer.wait(asyncio.sleep(10))
        timer.close()
        return "done"

    assert asyncio.run(slow_reader()) == "done"

    async def read():
        await IdleTimer(10).wait(asyncio.sleep(10))

    async def cancelled_from_outside():
        waiting = asyncio.ensure_future(read())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(cancelled_from_outside())
