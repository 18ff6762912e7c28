"""Background and scheduled jobs, run by the worker (worker.py) rather than the web process."""
