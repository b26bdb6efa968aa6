"""gunicorn's settings for Wangge: `gunicorn -c python:wangge.gunicorn_conf -b 127.0.0.1:8001 wangge.wsgi`.

The application is loaded once, in the master, and the point index of the leaf grids is built there
before it listens and forks its workers: every worker shares the index's memory with the master (copy on
write) instead of building its own (100,170 micro-grids: 10 s and about 150 MB a process, measured), and
the first report is located as soon as the server listens (`bench/locate.py` measures both).
"""

import gc
import os

preload_app = True
workers = int(os.environ.get("WANGGE_WORKERS", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("WANGGE_THREADS", 4))
keepalive = 5


def on_starting(server) -> None:
    """In the master, after the application is loaded and before the socket is bound."""
    from django.db import connections

    from wangge.grids import services as grids

    leaves = grids.warm_index()
    server.log.info("point index: %s leaf grids", leaves)
    connections.close_all()  # a connection must not be shared by the forked workers
    # the index's objects out of the collector's reach: a collection in a worker would otherwise write to
    # every object it walks and so copy the shared pages into each worker
    gc.freeze()
