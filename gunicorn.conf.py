"""gunicorn settings: `gunicorn wsgi:app`, run in this folder, reads this file (issue #12).

Command-line options override these (`gunicorn -b 0.0.0.0:8000 -w 4 --access-logfile PATH wsgi:app`).
Every log line gunicorn writes goes through the app's token mask (sociale_kaart/logs.py): links
from e-mail (/mijn-hulpvraag/<token>, reset and match links) show as /mijn-hulpvraag/*** in the
access log, in a Referer too. gunicorn sends `Server: gunicorn`, without its version.
"""
from gunicorn.glogging import Logger

from sociale_kaart import logs

bind = "127.0.0.1:8000"
accesslog = "-"    # the access log, to standard output (gunicorn writes none unless told)
errorlog = "-"


class MaskingLogger(Logger):
    """gunicorn's logger with the token mask on its access and error logs."""

    def setup(self, cfg):
        super().setup(cfg)
        logs.mask(self.access_log, self.error_log)


logger_class = MaskingLogger
