"""The research: pure functions, frames in, frames or small result objects out.

``stats`` holds the shared primitives (exact intervals, rate ratios, count models, cluster
inference); ``trends``, ``participation``, ``response``, ``panel``, ``contingents`` and
``overview`` answer the notebooks' questions with them. No printing, no files, no figures: this
layer imports ``data`` but never ``figures`` or ``batch`` (checked by the import contract).
"""
