"""Input and output schemas of registry records, shared by the API and the CSV adapter."""
