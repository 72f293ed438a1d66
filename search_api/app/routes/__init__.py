"""HTTP routes of the web app: one module per resource, each exposing `router`."""
