"""User text to safe HTML: every known XSS trick comes out inert, and the features still work."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.xss_payloads import PAYLOADS, assert_inert
from trellis.core.text import (
    excerpt,
    find_mentions,
    html_to_text,
    render_markdown,
    sanitize_html,
)

MENTIONS = {"ana.garcia": "/people/ana-garcia/", "bo": "/people/bo/", "john.de": "/people/jd/"}


# --- Payloads ------------------------------------------------------------------------------------


def test_corpus_is_big_enough() -> None:
    assert len(PAYLOADS) >= 60
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_through_markdown_is_inert(payload: str) -> None:
    assert_inert(render_markdown(payload, mentions=MENTIONS))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_through_sanitizer_is_inert(payload: str) -> None:
    assert_inert(sanitize_html(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_as_escaped_plain_text_is_inert(payload: str) -> None:
    assert_inert(escape(payload))
    assert_inert(f"<h1>{escape(payload)}</h1><p title='{escape(payload)}'>x</p>")


@pytest.mark.parametrize(
    "payload", ["{{7*7}}", "{% debug %}", "{{ request.user.password }}", "{# x #}"]
)
def test_template_syntax_stays_text(payload: str) -> None:
    """Stored HTML is output with |safe, never compiled as a template: the text survives as is."""
    html = render_markdown(payload)
    page = Template("<div>{{ body|safe }}</div>").render(Context({"body": html}))
    assert payload in page
    assert "49" not in page


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        "<p><SCRIPT SRC=/static/x.js></SCRIPT></p>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVa&#x09;Script:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<img srcset="/a.png 1x, javascript:alert(1) 2x">',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<p style="color:red">x</p>',
        '<iframe srcdoc="x"></iframe>',
        '<div srcdoc="x"></div>',
        "<svg><circle/></svg>",
        "<math></math>",
        '<form action="/x"></form>',
        '<meta charset="utf-8">',
        '<link rel="stylesheet" href="/static/x.css">',
        "<base href='/'>",
        "<object></object><embed>",
        '<button formaction="javascript:alert(1)">x</button>',
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        "text before\x00<script>alert(1)</script>",
    ],
)
def test_assert_inert_can_fail(snippet: str) -> None:
    with pytest.raises(AssertionError):
        assert_inert(snippet)


@pytest.mark.parametrize(
    "html",
    [
        "",
        "just text",
        '<p><a href="https://x.org/a?b=1&amp;c=2">x</a> <a href="/rel">r</a> <a href="#top">t</a>'
        ' <a href="mailto:a@b.org">m</a> <a href="//cdn.x.org/y">p</a></p>',
        '<img src="https://x.org/a.png" alt="a">',
        "<p>javascript:alert(1) as text is fine</p>",
        '<p title="javascript:alert(1)">titles are not URLs</p>',
    ],
)
def test_assert_inert_passes_safe_html(html: str) -> None:
    assert_inert(html)


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>Trellis</title>
<link rel="stylesheet" href="/static/css/site.css"><link rel="icon" href="/static/favicon.svg">
<script src="/static/js/htmx.min.js" defer></script></head>
<body><form method="post" action="/q/1/answer/"><button>Answer</button></form>
{body}</body></html>"""


def test_assert_inert_allows_own_page_furniture_only_when_asked() -> None:
    page = PAGE.format(body="<p>hi</p>")
    assert_inert(page, allow_own_scripts=True)
    with pytest.raises(AssertionError):
        assert_inert(page)


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<script src="/static/x.js">alert(1)</script>',
        '<script src="https://evil.example/static/x.js"></script>',
        '<script src="//evil.example/static/x.js"></script>',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<link rel="import" href="/static/x.html">',
        '<meta http-equiv="Refresh" content="0;url=/x">',
        '<form action="https://evil.example/steal"></form>',
        '<form action="//evil.example/steal"></form>',
        '<form action="javascript:alert(1)"></form>',
        "<style>body{}</style>",
        '<script src="/static/x.js" onload="alert(1)"></script>',
    ],
)
def test_allow_own_scripts_is_still_strict(body: str) -> None:
    with pytest.raises(AssertionError):
        assert_inert(PAGE.format(body=body), allow_own_scripts=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_renders_inert(text: str) -> None:
    assert_inert(render_markdown(text, mentions=MENTIONS))


# Fragments that build tags, attributes, schemes and Markdown constructs when strung together.
_HOSTILE_PIECES = [
    *"<>\"'`()[]!:/&#;=@*_~|-\n\t \\{}%",
    *["javascript", "script", "img", "onerror", "src", "href", "x", "data", "&#x09;"],
    *["```", "http", "svg", "style", "<a ", "](", "![", "<img ", " src=", "&#106;", "\x00"],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_HOSTILE_PIECES), max_size=60).map("".join))
def test_hostile_text_renders_inert(text: str) -> None:
    assert_inert(render_markdown(text, mentions=MENTIONS))
    assert_inert(sanitize_html(text))


# --- Markdown features ---------------------------------------------------------------------------


def test_table() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert "style" not in html


def test_fenced_code_keeps_sanitised_language() -> None:
    html = render_markdown("```python\nprint('<b>')\n```")
    assert "<pre><code class=\"language-python\">print('&lt;b&gt;')\n</code></pre>" in html
    assert 'class="language-c++"' in render_markdown("```c++ {.numbered}\nx\n```")
    evil = render_markdown('```py"><script>alert(1)</script>\nx\n```')
    assert 'class="language-py"' in evil
    assert "script" not in evil
    assert "class" not in render_markdown("```\nplain\n```")


def test_strikethrough() -> None:
    assert "<s>gone</s>" in render_markdown("~~gone~~")


def test_autolinks_bare_urls_like_github() -> None:
    html = render_markdown("see https://example.org/a?b=1&c=2, www.example.com and setup.py")
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in html
    assert '<a href="http://www.example.com"' in html
    assert "setup.py</p>" in html  # file names with a country-code "TLD" are not links
    assert '<a href="mailto:ana@example.com"' in render_markdown("ana@example.com")
    assert "<a" not in render_markdown("ftp://example.org/x")


def test_links_and_images_by_url() -> None:
    html = render_markdown('![a chart](https://img.example.org/c.png "Chart") [docs](/docs/)')
    assert '<img src="https://img.example.org/c.png" alt="a chart" title="Chart">' in html
    assert '<a href="/docs/" rel="nofollow noopener noreferrer">docs</a>' in html


def test_dangerous_markdown_links_stay_text() -> None:
    html = render_markdown("[x](javascript:alert(1)) ![y](data:image/png;base64,AA) <vbscript:x>")
    assert "<a" not in html
    assert "<img" not in html
    assert "[x](javascript:alert(1))" in html


def test_raw_html_is_shown_escaped() -> None:
    html = render_markdown("Use <b>bold</b> and <script>alert(1)</script>\n\n<div>block</div>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;div&gt;block&lt;/div&gt;" in html


def test_mentions_link_only_known_handles() -> None:
    html = render_markdown("Hi @Ana.Garcia, @bo and @stranger.", mentions=MENTIONS)
    assert '<a class="mention" href="/people/ana-garcia/"' in html
    assert ">@Ana.Garcia</a>," in html
    assert (
        '<a class="mention" href="/people/bo/" rel="nofollow noopener noreferrer">@bo</a>' in html
    )
    assert "@stranger." in html
    assert html.count("<a") == 2


def test_mentions_without_mapping_stay_text() -> None:
    assert "<a" not in render_markdown("Hi @ana.garcia")


def test_no_mentions_in_code_emails_links_or_paths() -> None:
    text = (
        "`@ana.garcia`\n\n    @ana.garcia\n\n```\n@ana.garcia\n```\n\n"
        "mail ana@example.com or bo@ana.garcia\n\n[@bo](https://x.org) example.org/@bo"
    )
    html = render_markdown(text, mentions=MENTIONS)
    assert "mention" not in html
    assert find_mentions(text) == []


def test_mention_that_looks_like_a_domain() -> None:
    html = render_markdown("ping @john.de please", mentions=MENTIONS)
    assert '<a class="mention" href="/people/jd/"' in html
    assert "http://john.de" not in html


def test_mention_href_is_sanitised_too() -> None:
    html = render_markdown("@bo", mentions={"bo": "javascript:alert(1)"})
    assert_inert(html)
    assert "javascript" not in html


def test_find_mentions() -> None:
    text = "@Ana.Garcia and @bo, again @ana.garcia; @x. `@code` mail me@ex.org (@zed)"
    assert find_mentions(text) == ["ana.garcia", "bo", "x", "zed"]
    assert find_mentions("@-dash @a- @.b") == ["a"]


# --- Sanitiser -----------------------------------------------------------------------------------


def test_sanitizer_keeps_qa_content() -> None:
    html = (
        '<h2>T</h2><p>a<br>b <kbd>Ctrl</kbd> x<sup>2</sup></p><pre><code class="language-py">x'
        '</code></pre><dl><dt>k</dt><dd>v</dd></dl><img src="https://x.org/a.png" alt="a" '
        'width="10" height="5">'
    )
    assert sanitize_html(html) == html


def test_sanitizer_strips_what_is_not_allowed() -> None:
    html = sanitize_html(
        '<div class="post" id="p1" style="color:red"><span>hi</span>'
        '<a href="https://x.org" class="mention evil" target="_blank" onclick="x()">l</a>'
        '<code class="lang-x language-js hl">c</code><img src="mailto:a@b.org"></div>'
    )
    assert html == (
        'hi<a href="https://x.org" class="mention" rel="nofollow noopener noreferrer">l</a>'
        '<code class="language-js">c</code><img>'
    )


def test_sanitizer_drops_script_content() -> None:
    assert sanitize_html("a<script>alert(1)</script><style>p{}</style>b") == "ab"


# --- Plain text ----------------------------------------------------------------------------------


def test_html_to_text() -> None:
    html = (
        "<h1>Title</h1><p>Fish &amp; chips&nbsp;&lt;3 caf&eacute;</p><ul><li>one</li><li>two"
        "</li></ul><script>alert(1)</script><style>p {}</style><p>un<em>believ</em>able\n\n  x</p>"
    )
    assert html_to_text(html) == "Title Fish & chips <3 café one two unbelievable x"
    assert html_to_text("  plain\n text ") == "plain text"
    assert html_to_text("") == ""
    assert html_to_text("a<br>b<!-- hidden -->c") == "a bc"


def test_html_to_text_of_rendered_markdown() -> None:
    html = render_markdown("# Hi\n\nSome **bold** `code <x>`\n\n- a\n- b")
    assert html_to_text(html) == "Hi Some bold code <x> a b"


def test_excerpt_cuts_at_a_word() -> None:
    html = "<p>The quick brown fox jumps over the lazy dog.</p>"
    assert excerpt(html, 200) == "The quick brown fox jumps over the lazy dog."
    assert excerpt(html, 18) == "The quick brown…"
    assert excerpt(html, 20) == "The quick brown fox…"
    assert len(excerpt(html, 20)) <= 20
    assert excerpt("<p>Supercalifragilistic</p>", 10) == "Supercali…"
    assert excerpt("<p>One, two, three</p>", 10) == "One, two…"
