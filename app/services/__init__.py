"""Use cases: load through app.db, decide through app.domain, write through app.db, commit."""
