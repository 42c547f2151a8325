"""After rendering: internal links and anchors, and (on request) external links."""
