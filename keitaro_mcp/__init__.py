"""keitaro-mcp: an MCP server for the Keitaro tracker Admin API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
