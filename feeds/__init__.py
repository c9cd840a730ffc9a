"""Outside data the bot fetches itself: the galaxy tick sources."""
