"""HTTP layer: thin routers, dependencies (auth, tenant, session) and problem documents."""
