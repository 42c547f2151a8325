"""Render: pages -> bytes, with Jinja2."""
