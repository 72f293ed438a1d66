"""The FastAPI application: factory, dependencies, services, routes, templates and static files."""
