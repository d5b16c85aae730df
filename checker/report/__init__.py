"""Reporters: turn results and traces into text, JSON and files. They never search."""
