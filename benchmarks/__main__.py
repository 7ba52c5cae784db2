"""``python -m benchmarks [--quick] [--only NAME] [--reps N] [--markdown PATH]``: see benchmarks/suite.py."""

import sys

from benchmarks.suite import main

sys.exit(main())
