"""The cogs: thin adapters from slash commands and the loop to the pure core."""
