"""`python -m vidiff` runs the CLI."""

import sys

from vidiff.cli import main

sys.exit(main())
