"""``python -m matcher``: the console command."""

import sys

from matcher.app.cli import main

sys.exit(main())
