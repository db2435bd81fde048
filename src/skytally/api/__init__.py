"""REST API under /api/v1: thin FastAPI routers over the capability services."""
