"""``python -m unspin.bench [options]``."""
import sys

from .run import main

sys.exit(main())
