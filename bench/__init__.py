"""Tools that are not the app: load and fault tests."""
