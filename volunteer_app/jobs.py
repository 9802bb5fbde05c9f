"""The task queue (huey): periodic jobs that also exist as ``flask jobs …`` commands.

Storage is a SQLite file by default and Redis in production (``HUEY_URL``). The
consumer runs beside the web server: ``huey_consumer volunteer_app.jobs.huey``.
"""

from __future__ import annotations

from urllib.parse import urlparse

from huey import MemoryHuey, RedisHuey, SqliteHuey

from config import config_from_env


def make_huey(url: str, immediate: bool = False):
    parsed = urlparse(url)
    if parsed.scheme == "redis":
        return RedisHuey("thekiz", url=url, immediate=immediate)
    if parsed.scheme == "memory":
        return MemoryHuey("thekiz", immediate=immediate)
    return SqliteHuey("thekiz", filename=parsed.path, immediate=immediate)


_config = config_from_env()
huey = make_huey(_config.HUEY_URL, immediate=_config.HUEY_IMMEDIATE)
