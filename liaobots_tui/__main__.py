"""`python -m liaobots_tui` entry point."""

from liaobots_tui.cli import main

raise SystemExit(main())
