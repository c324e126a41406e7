"""Settings for the benchmark server only: the real settings plus one benchmark-only URL (bench/urls.py).

Everything else (middleware, database, cache, persistent connections) is exactly ``config.settings``,
so that the baseline and the survey pages are served by the same stack.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
