"""The floor of the stack: what a quote and a sale cost on bare FastAPI, uvicorn, asyncpg and
PostgreSQL, measured in the same run as OpenPas (DESIGN.md, "Hot path").

- `app.py`: the floor app itself. It imports nothing of OpenPas.
- `plan.py`: what the floor answers and writes, taken from OpenPas before the run.
- `fixture.py`: the card holders the sales are sold to, made for one run and removed after.
- `run.py`: the runner (`.venv/bin/python bench/floor/run.py --help`).
"""
