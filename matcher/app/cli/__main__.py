"""``python -m matcher.app.cli``: the console command, as ``python -m matcher``."""

import sys

from matcher.app.cli import main

sys.exit(main())
