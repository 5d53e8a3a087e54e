"""Repression Tracker: a public, sourced record of how states use law against civil society."""
