"""HTML the fake grok.com serves: the Cloudflare challenge, the home page, the sign-in page.

The challenge page mimics what curl gets from grok.com without ``cf_clearance`` (§7.1), so
clients can test their detection (``cf-mitigated``, ``server: cloudflare``, "Just a moment...",
``window._cf_chl_opt``). The home page carries the ``grok-site-verification`` meta that
x-statsig-id signers read (§3.3), and the signed-in markers browser drivers wait for (§8).
"""

from __future__ import annotations

import html
import json
import secrets

from .statsig import SITE_VERIFICATION

__all__ = ["challenge_headers", "challenge_page", "home_page", "sign_in_page"]


def challenge_headers(ray: str) -> dict[str, str]:
    """Headers Cloudflare sends with a managed challenge."""
    return {
        "Content-Type": "text/html; charset=UTF-8",
        "cf-mitigated": "challenge",
        "Server": "cloudflare",
        "CF-RAY": ray,
        "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0",
        "Expires": "Thu, 01 Jan 1970 00:00:01 GMT",
        "Cross-Origin-Embedder-Policy": "require-corp",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "accelerometer=(),autoplay=(),browsing-topics=(),camera=(),clipboard-read=(),"
        "clipboard-write=(),geolocation=(),gyroscope=(),hid=(),interest-cohort=(),magnetometer=(),"
        "microphone=(),payment=(),publickey-credentials-get=(),serial=(),sync-xhr=(),usb=()",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",
    }


def _js_path(path: str) -> str:
    # Cloudflare escapes "/" as "\/" inside the inline script.
    return path.replace("/", "\\/")


def challenge_page(path: str, zone: str = "grok.com", ray: str | None = None) -> str:
    """A realistic "Just a moment..." managed-challenge page for a request to ``path``."""
    ray = ray or secrets.token_hex(8)
    tk = secrets.token_urlsafe(30)
    opt = (
        f"cvId: '3',cZone: '{zone}',cType: 'managed',cRay: '{ray}',cH: '{secrets.token_urlsafe(40)}',"
        f"cUPMDTk:\"{_js_path(path)}?__cf_chl_tk={tk}\",cFPWv: 'b',cITimeS: '1767225600',"
        f"cTplC:0,cTplV:5,cTplB: 'cf',"
        f'fa:"{_js_path(path)}?__cf_chl_f_tk={tk}",'
        f"md: '{secrets.token_urlsafe(60)}',mdrd: '{secrets.token_urlsafe(60)}'"
    )
    return (
        '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="robots" content="noindex,nofollow">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:100%;"
        "color:#313131;font-family:system-ui,-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica Neue,Arial}"
        "body{display:flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;"
        "max-width:60rem;padding-left:1.5rem}</style>"
        '<meta http-equiv="refresh" content="390"></head>'
        '<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">'
        f'<h1 class="zone-name-title h1">{html.escape(zone)}</h1>'
        '<p id="Truv1" class="h2 spacer-bottom">Verifying you are human. This may take a few seconds.</p>'
        '<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper">'
        '<div class="heading-icon warning-icon"></div></span><span id="challenge-error-text">'
        "Enable JavaScript and cookies to continue</span></div></div></noscript></div></div>"
        f"<script>(function(){{window._cf_chl_opt = {{{opt}}};var cpo = document.createElement('script');"
        f"cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ray}';"
        "window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;"
        "window._cf_chl_opt.cOgUQuery = location.search === '' && location.href.slice(0, location.href.length - "
        "window._cf_chl_opt.cOgUHash.length).indexOf('?') !== -1 ? '?' : location.search;"
        "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
        '<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">'
        f'<div class="ray-id">Ray ID: <code>{ray}</code></div></div>'
        '<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div>'
        "</body></html>"
    )


def _head(title: str) -> str:
    # grok.com ships these metas; REAL/CHY scrape baggage + sentry-trace, signers read the verification.
    baggage = "sentry-environment=production,sentry-release=fake,sentry-public_key=b311e0f2690c81f25e2c4cf6d4f7ce1c"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="grok-site-verification" content="{SITE_VERIFICATION}">'
        f'<meta name="baggage" content="{baggage}">'
        f'<meta name="sentry-trace" content="{secrets.token_hex(16)}-{secrets.token_hex(8)}-0">'
        "</head>"
    )


def _chat_script(statsig: str, autochat: bool) -> str:
    """Sends the chat box's text the way the web app does (a signed fetch to conversations/new).

    The real page computes x-statsig-id itself; this one uses a value the server minted for
    that path, which is what a header-capturing login sees either way.
    """
    send = (
        "function send(text){return fetch('/rest/app-chat/conversations/new',{method:'POST',"
        "credentials:'include',headers:{'content-type':'application/json',"
        f"'x-statsig-id':{json.dumps(statsig)},'x-xai-request-id':crypto.randomUUID()}},"
        "body:JSON.stringify({message:text,modeId:'fast',temporary:true})}).then(r=>r.text());}"
        "document.getElementById('chat-form').addEventListener('submit',function(e){e.preventDefault();"
        "send(this.query.value);});"
    )
    auto = "send('Hello');" if autochat else ""
    return f"<script>{send}{auto}</script>"


def home_page(*, signed_in: bool, email: str | None = None, statsig: str = "", autochat: bool = False) -> str:
    """grok.com's root. Signed in: the chat box (#chat-ready, textarea, submit), which sends real
    chat requests signed with ``statsig``; ``autochat`` (``/?autochat=1``, tests only) sends one
    on load. Else a sign-in link."""
    if signed_in:
        who = html.escape(email or "")
        body = (
            f'<div id="chat-ready" data-user="{who}"><a href="/chat#private">Private chat</a>'
            '<form id="chat-form">'
            '<textarea name="query" placeholder="What do you want to know?">'
            '</textarea><button type="submit">Send</button></form></div>' + _chat_script(statsig, autochat)
        )
    else:
        body = (
            '<div id="signed-out"><a id="sign-in-link" href="/sign-in">Sign in</a> <a href="/sign-in">Sign up</a></div>'
        )
    return _head("Grok") + f"<body>{body}</body></html>"


# Stands in for the person at the keyboard in browser-login tests: fills the form and submits it.
_AUTOFILL_SCRIPT = (
    "<script>addEventListener('DOMContentLoaded',function(){"
    "document.getElementById('email').value='fake@example.com';"
    "document.getElementById('password').value='fake-password';"
    "document.getElementById('submit').click();});</script>"
)


def sign_in_page(error: str | None = None, *, autofill: bool = False, next_path: str = "/") -> str:
    """A minimal accounts page: #email, #password, #submit (POSTs back to /sign-in, which then
    redirects to ``next_path``, like accounts.x.ai's redirect parameter).

    ``autofill`` (``/sign-in?autofill=1``, tests only) makes the page sign itself in, so a browser
    login can be tested end to end without a second automation driving the form.
    """
    err = f'<p id="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        _head("Sign in - Grok") + "<body><h1>Sign in</h1>" + err + '<form method="post" action="/sign-in">'
        f'<input type="hidden" name="next" value="{html.escape(next_path)}">'
        '<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username">'
        '<label for="password">Password</label><input id="password" name="password" type="password" '
        'autocomplete="current-password">'
        '<button id="submit" type="submit">Sign in</button></form>'
        + (_AUTOFILL_SCRIPT if autofill else "")
        + "</body></html>"
    )
