"""The clinic's own settings for follow-up care (as opposed to its safety limits)."""
