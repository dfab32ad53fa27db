"""A YAML reader for small hand-written configuration files that refuses, quickly and with a
message, what only a hostile or broken file contains.

PyYAML's ``safe_load`` builds no objects from tags, but it still follows aliases (a "billion
laughs" file of a few hundred bytes expands to billions of values in whatever walks the result),
accepts aliases to a node that contains itself (a recursive structure that later code loops on),
recurses once per nesting level (thousands of levels end in ``RecursionError``) and turns a
5,000-digit number into a Python ``ValueError``. :func:`load` limits all of these while the
document is composed, before anything is built:

- ``max_bytes`` of UTF-8 text (other encodings are refused with the offending byte's offset);
- ``max_depth`` levels of nesting;
- ``max_nodes`` values *after* expanding aliases (aliases themselves are allowed: sharing one
  parameter block between runs is ordinary YAML);
- no alias to a node that contains it;
- integers of at most ``max_int_digits`` digits.

Why our own loader on top of PyYAML rather than another library:

- ``yaml.SafeLoader`` alone is the base here (no tags, no objects built), but it has none of the
  limits above;
- strictyaml refuses flow style, anchors and aliases outright, and without a schema gives every
  scalar back as a string: ``notebooks/runs.yaml`` writes lists in flow style
  (``missions: [[MINUSCA], [MONUSCO], [UNMISS]]``, ``breakpoints: []``), its parameters must
  keep their YAML types for papermill, and sharing a parameter block by alias is allowed;
- ruamel.yaml would be a second YAML parser in the environment for this one file, while PyYAML
  is already required (by this package and by papermill, jupytext, dask and others in the lock);
  its safe loader would need the same limits written around it.

The limits are a subclass of ``SafeLoader`` (counting depth while composing) and a walk of the
composed node graph (nodes after aliases, self-containing aliases), so the parsing itself stays
PyYAML's.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pkoresearch.errors import PkoError

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 100_000
MAX_INT_DIGITS = 30


class YamlRefused(PkoError, ValueError):
    """The YAML text is refused: it is not UTF-8, not YAML, or beyond a limit."""


class YamlSyntaxError(YamlRefused):
    """The text is not YAML at all."""


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "?"


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader counting depth while composing."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise YamlRefused(
                    f"{_where(self.peek_event().start_mark)}: nesting deeper than "
                    f"{self.max_depth} levels; expected a shallow run matrix"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = len(re.sub(r"[^0-9a-fA-F]", "", str(node.value)))
        if digits > MAX_INT_DIGITS:
            raise YamlRefused(
                f"{_where(node.start_mark)}: an integer of {digits} digits; "
                f"expected at most {MAX_INT_DIGITS}"
            )
        return super().construct_yaml_int(node)


_LimitedLoader.add_constructor("tag:yaml.org,2002:int", _LimitedLoader.construct_yaml_int)


def _check_graph(root: Node, max_nodes: int) -> None:
    """Refuse a node graph that contains itself or expands to more than ``max_nodes`` values.
    Iterative, and each node's expanded size is computed once (aliases share nodes)."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1
            for child in _children(node):
                total += size[id(child)]
            size[key] = min(total, max_nodes + 1)
            if total > max_nodes:
                raise YamlRefused(
                    f"{_where(node.start_mark)}: the aliases expand to more than "
                    f"{max_nodes:,} values; expected a small run matrix"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlRefused(
                f"{_where(node.start_mark)}: an alias refers to a node that "
                "contains it (a recursive structure); expected plain data"
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlRefused(
                    f"{_where(child.start_mark)}: an alias refers to a node that "
                    "contains it (a recursive structure); expected plain data"
                )
            if id(child) not in size:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(data: bytes, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> Any:
    """Parse ``data`` (UTF-8 bytes) as one YAML document of plain data within the limits above;
    raise :class:`YamlRefused` saying what was found and where."""
    if len(data) > max_bytes:
        raise YamlRefused(f"{len(data):,} bytes; expected at most {max_bytes:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlRefused(
            f"byte {exc.start} (0x{data[exc.start]:02x}) is not UTF-8; expected UTF-8 text"
        ) from None
    loader = _LimitedLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_graph(root, max_nodes)
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"not valid YAML ({exc})") from None
    except RecursionError:
        raise YamlRefused(
            f"nesting deeper than Python can follow; expected at most {MAX_DEPTH} levels"
        ) from None
    finally:
        loader.dispose()
