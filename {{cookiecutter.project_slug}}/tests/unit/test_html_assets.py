from pathlib import Path

from {{ cookiecutter.package_name }}.gates.html_assets import share_large_scripts


def test_large_inline_scripts_are_shared_by_content(tmp_path: Path) -> None:
    big = "var x = 1;" * 10_000
    pages = []
    for name in ("a.html", "b.html"):
        page = tmp_path / name
        page.write_text(
            f"<html><script>{big}</script><script>small()</script>"
            f'<script src="kept.js"></script></html>',
            encoding="utf-8",
        )
        pages.append(page)
    shared = {path for page in pages for path in share_large_scripts(page)}
    assert len(shared) == 1 and shared.pop().read_text(encoding="utf-8") == big
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert big not in html and "<script>small()</script>" in html and "kept.js" in html
        assert html.count('src="assets/') == 1
