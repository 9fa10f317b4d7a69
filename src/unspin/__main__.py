"""``python -m unspin``: the same as the ``unspin`` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
