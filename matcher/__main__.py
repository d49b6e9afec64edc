"""``python -m matcher``: the console command."""

import sys

from matcher.cli import main

sys.exit(main())
