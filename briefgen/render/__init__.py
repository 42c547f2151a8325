"""Stage 4, render: pages -> bytes, with Jinja2."""
