"""`python -m bot` is the same as the `hotpapers` console script."""

from bot.cli import main

raise SystemExit(main())
