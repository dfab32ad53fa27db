"""What a reader sees: the plot theme and plot functions, captions that name sources, number
formatting and publication tables. May use ``data`` (to name sources) but not ``batch``; the
analysis layer never imports it.
"""
