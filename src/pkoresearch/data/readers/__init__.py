"""Readers for third-party data formats (the UN table of allegations, the UN gender statistics).

Each reader returns tidy, typed tables and reports what it could not interpret; none drops a row.
"""
