"""Markdown of untrusted answers renders only our own tags, never the answer's HTML."""

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from modelswap.review.markdown import render_markdown

ALLOWED = {"p", "br", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre", "code", "strong", "em"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


def parsed(text: str) -> Tags:
    p = Tags()
    p.feed(render_markdown(text))
    p.close()
    return p


def test_common_markdown() -> None:
    assert render_markdown("# Title\n\nSome **bold** and `x < y`.\n\n- one\n- two") == (
        "<h3>Title</h3><p>Some <strong>bold</strong> and <code>x &lt; y</code>.</p><ul><li>one</li><li>two</li></ul>"
    )
    assert render_markdown("```\n<b>hi</b>\n```") == "<pre><code>&lt;b&gt;hi&lt;/b&gt;</code></pre>"


def test_html_in_the_answer_stays_text() -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(1)"> [x](javascript:alert(1))'
    p = parsed(evil)
    assert all(tag == "p" and not attrs for tag, attrs in p.tags)
    assert p.text == evil


@given(st.text(alphabet=st.sampled_from(list("<>&\"'`*#-_[]()=/ \nabc1.")), max_size=300))
def test_any_text_gives_only_our_tags_without_attributes(text: str) -> None:
    p = parsed(text)
    assert all(tag in ALLOWED and not attrs for tag, attrs in p.tags)
