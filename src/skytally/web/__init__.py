"""Web interface: server-rendered pages (Jinja2 + htmx) and the app factory."""
