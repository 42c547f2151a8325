"""Load: content files on disk -> a validated, linked Site."""
