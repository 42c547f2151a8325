"""Stage 1, load: content files on disk -> a validated, linked Site."""
