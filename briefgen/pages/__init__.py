"""Stage 3, assemble: the linked site -> the list of pages to produce."""
