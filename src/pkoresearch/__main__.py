"""``python -m pkoresearch ...`` is the ``pkoresearch`` command (for environments whose scripts
folder is not on PATH)."""

import sys

from pkoresearch.cli import main

if __name__ == "__main__":
    sys.exit(main())
