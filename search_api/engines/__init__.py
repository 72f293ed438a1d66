"""One search-engine interface with an embedded backend and an Elasticsearch backend."""
