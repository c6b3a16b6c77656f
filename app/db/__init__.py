"""Persistence: SQLAlchemy Core tables, the engine and the queries; rows become plain values."""
