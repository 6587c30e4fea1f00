"""gunicorn for Marquee: `make serve` (see docs/operations.md). Every value can be set from
the environment; the defaults are what docs/benchmarks.md measured as best on this code."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# One process per core: requests here are short and mostly Python, and a worker beyond the
# cores comes back to cold caches (docs/benchmarks.md, "Workers"). When PostgreSQL and Redis
# are on other machines a worker waits longer on the network: raise WEB_CONCURRENCY (about 2
# per core) and measure.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Plain sync workers: a worker takes a connection only when it is free, so the cores stay
# evenly busy; with gthread a keep-alive connection stays on the worker that accepted it and
# threads share one GIL (docs/benchmarks.md, "Workers"). Sync workers do not keep
# connections alive: run them behind the usual buffering proxy or load balancer.
# GUNICORN_THREADS > 1 switches gunicorn to gthread.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 100
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", None)
errorlog = "-"
# Take the proxy's X-Forwarded-* only from the load balancer in front.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
