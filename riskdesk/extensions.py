"""Flask extension objects, created unbound and bound in the factory with ``init_app``.

The rate limiter is not here: Flask-Limiter keeps its counters on the Limiter object, so one shared
object would mix the counters of every app in a process. ``build_app`` makes one per app.
"""
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
