"""``briefgen serve``: a live-reload preview of the built site.

- ``preview``: one running preview (build, serve, watch, rebuild, notify);
- ``server``: the HTTP server and its safety checks;
- ``watch``: watchdog, editors' save patterns, debouncing;
- ``reload``: the Server-Sent Events hub and the script injected into pages.
"""

from briefgen.serve.preview import PortBusy, Preview, url_for
from briefgen.serve.server import is_loopback

__all__ = ["PortBusy", "Preview", "is_loopback", "url_for"]
