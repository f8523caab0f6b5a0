"""One module per pipeline stage; each reads the outputs of the one before it from disk."""
