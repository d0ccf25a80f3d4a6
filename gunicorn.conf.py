"""gunicorn settings: `gunicorn wsgi:app`, run in this folder, reads this file (issue #12).

Command-line options override these (`gunicorn -b 0.0.0.0:8000 -w 4 --access-logfile PATH wsgi:app`).
Every log line gunicorn writes goes through the app's token mask (sociale_kaart/logs.py): links
from e-mail (/mijn-hulpvraag/<token>, reset and match links) show as /mijn-hulpvraag/*** in the
access log, in a Referer too. gunicorn sends `Server: gunicorn`, without its version.

With SOCIALE_KAART_LOG_FORMAT=json (issue #16) its error and access logs go to standard output as
JSON lines, like the app's: an access line has the method, the masked path without the query,
status, size, duration and the request id, never the client's address, user agent or referrer.

Each worker warms up before its first request (post_worker_init, issue #17): it loads the gazetteer,
opens the search index and renders the public pages once, so its first visitor waits no longer than the tenth.
"""
import gc
import sys

from gunicorn.glogging import Logger

from sociale_kaart import logs
from sociale_kaart.config import from_environment as _settings_from_environment  # `config` is a gunicorn setting

bind = "127.0.0.1:8000"
accesslog = "-"    # the access log, to standard output (gunicorn writes none unless told)
errorlog = "-"


JSON = _settings_from_environment().get("LOG_FORMAT") == "json"


class MaskingLogger(Logger):
    """gunicorn's logger with the token mask on its access and error logs (JSON lines when asked)."""

    def setup(self, cfg):
        super().setup(cfg)
        logs.mask(self.access_log, self.error_log)
        if JSON:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(logs.JsonFormatter())
                    if getattr(handler, "stream", None) is sys.stderr:
                        handler.setStream(sys.stdout)     # the error log "-" too: one stream of lines

    def access(self, resp, req, environ, request_time):
        if not JSON:
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        message, extra = logs.access_entry(environ, int(status), getattr(resp, "sent", None),
                                           request_time.total_seconds())
        self.access_log.info(message, extra=extra)
        return None


logger_class = MaskingLogger


def post_worker_init(worker):
    """Warm the worker before its first request (issue #17): gazetteer, search index, kept data, templates."""
    from flask import Flask

    from sociale_kaart.web import warm

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        worker.log.info("Worker %s warmed up in %.2f s", worker.pid, warm.warm_up(app))
    # What the worker loaded and kept lives as long as it does: one collection now, and those objects left out
    # of every later one, so that the first requests do not pay for a full collection over them (a first
    # results page took 3-4 x the median without this, issue #17).
    gc.collect()
    gc.freeze()
