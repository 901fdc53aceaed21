"""HotPapers: a Discord bot that posts the day's most-discussed arXiv papers."""

__version__ = "0.1.0"
