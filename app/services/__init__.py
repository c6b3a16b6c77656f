"""Use cases: load through app.db, decide through app.domain, write through app.db.

They flush and never commit: the unit of work that runs them (app.db.engine.unit_of_work,
a request's or a CLI command's) commits when they return and rolls back when they raise.
"""
