"""User Markdown becomes safe HTML: no scripts, no event handlers, no remote images."""

import pytest

from tickets.markdown import render_markdown, render_markdown_many


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="/x" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="/x" style="position:fixed">x</a>', "style="),
        ("<iframe src='/'></iframe>", "<iframe"),
        ("![tracker](https://example.org/pixel.png)", "example.org"),
        ("![tracker](//example.org/pixel.png)", "example.org"),
    ],
)
def test_dangerous_markup_is_removed(text, forbidden):
    assert forbidden not in render_markdown(text)


def test_formatting_links_and_own_images_survive():
    html = render_markdown(
        "**жирный** и `код`\n\n- один\n- два\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[сайт](https://example.org) ![скрин](/tickets/HD-1/attachments/3/)"
    )
    assert "<strong>жирный</strong>" in html
    assert "<code>код</code>" in html
    assert "<li>один</li>" in html
    assert "<table>" in html
    assert 'href="https://example.org" rel="noopener noreferrer nofollow"' in html
    assert 'src="/tickets/HD-1/attachments/3/"' in html


def test_many_texts_render_in_order_and_from_the_cache():
    texts = ["*a*", "**b**", "*a*"]
    first = render_markdown_many(texts)
    assert first == ["<p><em>a</em></p>", "<p><strong>b</strong></p>", "<p><em>a</em></p>"]
    assert render_markdown_many(texts) == first


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (r"Принтер \\print01\HP-LJ-305 не печатает", r"\\print01\HP-LJ-305"),
        (r"Доступ к \\fs02\scan восстановлен.", r"\\fs02\scan"),
        (r"\\fs01\buh\_архив\2024", r"\\fs01\buh\_архив\2024"),
        (r"\\fs01\projects\ и \\fs01\hr", r"\\fs01\projects\ и \\fs01\hr"),
        (r"Лог в C:\Users\ivanov\AppData\_logs\#1.txt", r"C:\Users\ivanov\AppData\_logs\#1.txt"),
        (r"**\\fs02\sklad**", r"<strong>\\fs02\sklad</strong>"),
        (r"(см. \\fs02\scan)", r"(см. \\fs02\scan)"),
        (r"`\\fs02\scan` и \\fs02\scan", r"<code>\\fs02\scan</code> и \\fs02\scan"),
        (r"\\srv\R&D <b>x</b>", r"\\srv\R&amp;D <b>x</b>"),
    ],
)
def test_windows_paths_keep_their_backslashes(text, shown):
    assert shown in render_markdown(text)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (r"\*не курсив\*", "<p>*не курсив*</p>"),
        (r"a \\ b", "<p>a \\ b</p>"),
        (r"\# не заголовок", "<p># не заголовок</p>"),
        (r"1\. не список", "<p>1. не список</p>"),
        (r"\_x\_", "<p>_x_</p>"),
    ],
)
def test_markdown_escapes_still_work_outside_paths(text, html):
    assert render_markdown(text) == html
