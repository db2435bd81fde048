"""Page routers, one module per area. Each keeps to: parse, call a service, render."""
