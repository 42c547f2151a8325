"""Assemble: the linked site -> the list of pages to produce."""
