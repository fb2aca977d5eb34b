"""`python -m keitaro_mcp` runs the same CLI as the `keitaro-mcp` script."""

from keitaro_mcp.cli import main

raise SystemExit(main())
