"""Gravewatch service: command line, API, batch scoring and review store."""
