"""MkDocs hooks of the documentation site (mkdocs.yml).

* The home page is the README, its links into docs/ made site links.
* Pages link to the README and to reports/ (plots) as files of the
  repository (``../README.md``, ``../reports/x.png``) so that they work
  when read on disk or in a forge; on the site those are the home page
  and copies of the plots.
* ``cli.md`` gets the ``--help`` of every command, from the argparse
  parsers themselves (``<!-- commands: MODULE -->``), so the reference
  cannot drift from the code.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
_COMMANDS = re.compile(r"<!-- commands: ([\w.]+) -->")


def on_files(files, config):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files.append(File.generated(config, "index.md", content=_site_links(readme, home=True)))
    linked = set()
    for page in (ROOT / "docs").glob("*.md"):
        linked.update(re.findall(r"\]\(\.\./(reports/[^)\s#]+)\)", page.read_text("utf-8")))
    for name in sorted(linked):
        files.append(File.generated(config, name, abs_src_path=str(ROOT / name)))
    return files


def on_page_markdown(markdown, page, config, files):
    markdown = _site_links(markdown, home=page.file.src_uri == "index.md")
    return _COMMANDS.sub(lambda match: _commands_help(match.group(1)), markdown)


def _site_links(markdown: str, home: bool) -> str:
    if home:  # the README: docs/x.md is x.md on the site
        return re.sub(r"\]\(docs/", "](", markdown)
    return markdown.replace("](../README.md", "](index.md").replace("](../reports/", "](reports/")


def _commands_help(module_name: str) -> str:
    """The ``--help`` of a module's parser (``_parser()``) and of each of
    its commands, as Markdown sections."""
    os.environ["COLUMNS"] = "100"  # the same wrapping on every machine
    parser = importlib.import_module(module_name)._parser()
    sections = [_help_block(parser)]
    for action in parser._subparsers._group_actions:
        for name, command in action.choices.items():
            sections.append(f"### {command.prog}\n\n{_help_block(command)}")
    return "\n\n".join(sections)


def _help_block(parser) -> str:
    return "```text\n" + parser.format_help().rstrip() + "\n```"
