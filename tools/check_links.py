"""Check every internal link of a built HTML site: each relative ``href`` and ``src`` must name a
file of the site, and each ``#fragment`` an ``id`` (or ``<a name>``) in the page it points to.
Links with a scheme (``https:``, ``mailto:``, ``data:``...) or to another host are not checked
(the build machine has no network; Sphinx's own cross-references are checked by ``-n -W``).

    python tools/check_links.py docs/_build/html      # exit 1 and one line per broken link

Standard library only. ``.ci/run`` runs it after building the documentation; ``tests/test_docs.py``
plants broken links in a small site and sees them reported.
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    """The anchors a page defines and the links it makes (with their line numbers)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.links: list[tuple[int, str, str]] = []  # (line, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)
            elif (name == "href" and tag in ("a", "link", "area")) or (
                name == "src" and tag in ("img", "script", "iframe", "source", "video", "audio")
            ):
                self.links.append((self.getpos()[0], name, value))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    page.close()
    return page


def broken_links(site: str | Path) -> list[str]:
    """Every broken internal link of the HTML files under ``site``, as ``file:line: message``."""
    return check(site)[0]


def check(site: str | Path) -> tuple[list[str], int]:
    """The broken internal links under ``site`` and how many links were read in all."""
    root = Path(site).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{site}: no such folder (build the site first)")
    pages = {p.resolve(): _parse(p) for p in sorted(root.rglob("*.html"))}
    if not pages:
        raise FileNotFoundError(f"{site}: no HTML files (build the site first)")
    problems = []
    for path, page in pages.items():
        for line, attribute, value in page.links:
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith("//"):
                continue  # external: not checked here
            where = f"{path.relative_to(root)}:{line}"
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root):
                problems.append(f"{where}: {attribute}={value!r} points outside the site")
                continue
            if not target.exists():
                problems.append(
                    f"{where}: {attribute}={value!r}: no file {target.relative_to(root)}"
                )
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else _parse(target).anchors
                if fragment not in anchors:
                    problems.append(
                        f"{where}: {attribute}={value!r}: no id {fragment!r} in "
                        f"{target.relative_to(root)}"
                    )
    return problems, sum(len(page.links) for page in pages.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", help="the built HTML folder, e.g. docs/_build/html")
    args = parser.parse_args(argv)
    try:
        problems, n = check(args.site)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} broken internal link(s) of {n}", file=sys.stderr)
        return 1
    print(f"{n} links checked in {args.site}: no broken internal link")
    return 0


if __name__ == "__main__":
    sys.exit(main())
