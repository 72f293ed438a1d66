"""Text analysis: spaCy pipeline, geography linker, extraction, embeddings."""
