// Intentionally empty: stands in for a layer library that has no sources yet.
