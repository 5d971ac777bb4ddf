"""Configuration every adapter shares: where things are (environment variables, default paths)."""
