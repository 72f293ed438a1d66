"""Search engines behind one interface, and the FastAPI app (API and French web UI)."""
