"""Sourcing as a service: an HTTP API (FastAPI under uvicorn) with persistent jobs.

``sourcing serve`` starts it. The routes (:mod:`.app`) load and check a request as the command
line does, queue it in the database (:mod:`.db`), and a supervisor (:mod:`.jobs`) solves it in a
separate process (:mod:`.worker`) through :func:`sourcing.solve`, so the API, the command line and
the Python API return the same plan. Tokens: :mod:`.auth`; settings: :mod:`.settings`; limits:
:mod:`.limits`; bodies: :mod:`.schemas`.
"""
