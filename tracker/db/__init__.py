"""Database plumbing: a PostgreSQL backend that waits out a server restart, and a retry of reads."""
