"""XSS payloads (OWASP filter-evasion and PortSwigger cheat-sheet style) and ``assert_inert``.

Shared by the text unit tests and the end-to-end page tests: every payload, put anywhere users
can type, must come out of the site as HTML that ``assert_inert`` accepts.
"""

from __future__ import annotations

import html as html_lib
import re

import lxml.etree
import lxml.html

PAYLOADS: list[str] = [
    # Script tags, casings and splits
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    '<script src="https://evil.example/x.js"></script>',
    "<script/xss src=//evil.example/x.js></script>",
    "<<script>alert(1);//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script\x20type='text/javascript'>alert(1);</script>",
    "<script\x0dtype=text/javascript>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<script>/*</script><script>*/alert(1)</script>",
    # Event handlers
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<img src=x onerror=\"alert('XSS')\">",
    "<img/src=x/onerror=alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<a href=# onclick=alert(1)>x</a>",
    '<p style="x" onpointerenter=alert(1)>x</p>',
    # javascript:/vbscript:/data: URLs in HTML
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    '<a href="jav\tascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#14;  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(1)`>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="vbscript:msgbox(1)">',
    '<img dynsrc="javascript:alert(1)"><img lowsrc="javascript:alert(1)">',
    '<img srcset="javascript:alert(1) 1x">',
    # Markdown link and image syntax
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1))',
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](https://ok.example/a.png)',
    '![x](https://ok.example/a.png"onerror="alert(1))',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x][r]\n\n[r]: javascript:alert(1)",
    '[x][r]\n\n[r]: https://ok.example "a\\" onclick=\\"alert(1)"',
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "javascript:alert(1) and www.example.com/<script>alert(1)</script>",
    'https://example.com/"><script>alert(1)</script>',
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    '```js"><script>alert(1)</script>\nx\n```',
    "``` onmouseover=alert(1)\nx\n```",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "> <iframe src=javascript:alert(1)>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "~~<script>alert(1)</script>~~",
    # Other dangerous elements
    '<svg><script href="data:text/javascript,alert(1)"/></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=data:text/html,<script>alert(1)</script>">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<isindex action="javascript:alert(1)" type=image>',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<link rel="import" href="https://evil.example/x.html">',
    '<frameset><frame src="javascript:alert(1)"></frameset>',
    '<applet code="javascript:alert(1)"></applet>',
    '<table background="javascript:alert(1)">',
    # Style-based
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<style>@import 'https://evil.example/x.css';</style>",
    '<div style="width: expression(alert(1));">x</div>',
    '<div style="background-image: url(javascript:alert(1))">x</div>',
    '<div style="x:\\65xpression(alert(1))">x</div>',
    '<p style="behavior: url(x.htc)">x</p>',
    '<STYLE TYPE="text/css">.x{background:url("javascript:alert(1)");}</STYLE>',
    # Attribute breaking
    '"><img src=x onerror=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    '" onmouseover="alert(1)',
    "' autofocus onfocus='alert(1)",
    '<a href="https://ok.example" title="" onmouseover="alert(1)">x</a>',
    '<a title="x"onmouseover=alert(1)>x</a>',
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="/ok" class="mention x" id="admin" style="position:fixed">x</a>',
    '<code class="language-py onmouseover=alert(1)">x</code>',
    # Template injection: must come out as inert text
    "{{7*7}}",
    "{{ request.user.password }}",
    "{% load static %}{% debug %}",
    "{% include '/etc/passwd' %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "{{constructor.constructor('alert(1)')()}}",
    # Mutation XSS and parser differentials
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    "<template><img src=x onerror=alert(1)></template>",
    "<title><img src=x onerror=alert(1)></title>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    '<a href="https://ok.example"><a href="javascript:alert(1)">x</a></a>',
    # Unicode, nulls and control characters
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    '<a href="java\x00script:alert(1)">x</a>',
    "<img src=x o\x00nerror=alert(1)>",
    '<a href="\u0001javascript:alert(1)">x</a>',
    "[x](java\x00script:alert(1))",
    "\ufeff<script>alert(1)</script>",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    '<a href="javascript\u2028:alert(1)">x</a>',
    "@ana<img src=x onerror=alert(1)>",
    '@"><script>alert(1)</script>',
]

_FORBIDDEN_TAGS = frozenset(
    {
        "script", "iframe", "object", "embed", "base", "meta", "form", "style", "svg", "math",
        "link", "frame", "frameset", "applet", "portal",
    }
)  # fmt: skip
# Attributes a browser follows as a URL; srcset is a comma-separated list of "URL size".
_URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
        "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "ping", "manifest", "icon",
    }
)  # fmt: skip
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_NOT_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _scheme(url: str) -> str | None:
    """The scheme of ``url`` as a browser would read it, stricter: entities decoded (again),
    every whitespace and control character removed, lower-cased."""
    m = _SCHEME.match(_NOT_IN_URL.sub("", html_lib.unescape(url)).lower())
    return m.group(1) if m else None


def _is_relative(url: str) -> bool:
    """Same-site: no scheme and not protocol-relative (a backslash counts as a slash)."""
    clean = _NOT_IN_URL.sub("", html_lib.unescape(url)).replace("\\", "/")
    return _scheme(url) is None and not clean.startswith("//")


def _url_problem(attr: str, value: str) -> str | None:
    urls = (
        [part.split()[0] for part in value.split(",") if part.split()]
        if attr == "srcset"
        else [value]
    )
    for url in urls:
        scheme = _scheme(url)
        if scheme is not None and scheme not in _SAFE_SCHEMES:
            return f"{attr}={value!r} has scheme {scheme!r}"
    return None


def _parse(html: str) -> lxml.html.HtmlElement | None:
    # Bytes + declared encoding: a <meta charset> in the input cannot re-decode it; NUL would
    # end the parse early in libxml2, and browsers treat it as U+FFFD.
    data = html.replace("\x00", "\ufffd").encode("utf-8")
    try:
        return lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(encoding="utf-8"))
    except lxml.etree.ParserError:
        if "<" in html:
            raise
        return None  # no markup at all ("Document is empty")


def assert_inert(html: str, *, allow_own_scripts: bool = False) -> None:
    """Fail unless ``html`` (a fragment or a whole page) can run no script and send no one
    elsewhere: no dangerous elements, no on* / style / srcdoc attributes, and every URL
    attribute http(s), mailto or relative.

    ``allow_own_scripts`` is for whole pages of the site itself: ``<script src="/static/...">``
    with no inline code, ``<link rel="stylesheet|icon" href="/static/...">``, ``<meta>`` that is
    not a refresh, and ``<form>`` posting to a relative URL.
    """
    root = _parse(html)
    if root is None:
        return
    problems: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions run nothing
        tag = el.tag.lower()
        attrs = {str(k).lower(): str(v) for k, v in el.attrib.items()}
        if tag in _FORBIDDEN_TAGS and not (allow_own_scripts and _own_element(tag, el, attrs)):
            problems.append(f"<{tag}> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}> event handler")
            elif name in ("style", "srcdoc"):
                problems.append(f"<{tag} {name}> attribute")
            elif (name in _URL_ATTRIBUTES or name == "srcset" or name.endswith("href")) and (
                problem := _url_problem(name, value)
            ):
                problems.append(f"<{tag}> {problem}")
    if problems:
        raise AssertionError(
            "HTML is not inert:\n  " + "\n  ".join(problems) + f"\nin: {html[:2000]!r}"
        )


def _own_element(tag: str, el: lxml.html.HtmlElement, attrs: dict[str, str]) -> bool:
    """The site's own page furniture, allowed only with ``allow_own_scripts``."""
    if tag == "script":
        inline = (el.text or "").strip() or len(el)
        return attrs.get("src", "").startswith("/static/") and not inline
    if tag == "link":
        rel = set(attrs.get("rel", "").lower().split())
        return (
            bool(rel)
            and rel <= {"stylesheet", "icon"}
            and attrs.get("href", "").startswith("/static/")
        )
    if tag == "meta":
        return attrs.get("http-equiv", "").strip().lower() != "refresh"
    if tag == "form":
        return _is_relative(attrs.get("action", ""))
    return False
