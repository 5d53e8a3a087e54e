"""Tools that are not the app: the synthetic record, benchmarks, load and fault tests.

Run them with the settings of bench/settings.py (the real settings plus this app, for its
management commands, and bench/urls.py, for the bare view); production loads none of it.
"""
