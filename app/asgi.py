"""The ASGI entry point for uvicorn workers: `uvicorn app.asgi:app`."""

import gc

from app.main import create_app

app = create_app()

# Everything built so far (modules, routes, schemas) lives as long as the process: keep the
# collector from walking it again and again, and let it run less often — a request makes
# thousands of short-lived objects, and at the default threshold (700) the collections cost
# a tenth of a quote (docs/performance.md).
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
