"""The bot application: wiring discord.py to the rest of HotPapers."""
