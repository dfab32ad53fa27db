"""The data layer: everything that turns files into tidy, sourced frames.

``readers`` (the UN's own formats), ``registry`` (the real files: names, checksums, fetch and
cache), ``curated`` and ``sources`` (the bundled tables and the documents behind every figure),
``countries``, ``missions`` and ``coverage`` (names, codes and what a source covers). Only this layer
(and :mod:`pkoresearch.paths`) reads files. It imports nothing from ``analysis``, ``figures`` or
``batch`` (checked by the import contract in ``pyproject.toml``).
"""
