"""Gunicorn settings for RiskDesk in production: ``python -m riskdesk serve --production`` uses this file.

Every setting can be changed through the environment (names below) or gunicorn's own options. Run it
behind one reverse proxy (nginx, Apache, a load balancer) that terminates TLS, with
``RISKDESK_PROXY_HOPS=1`` so that client addresses and https come from the proxy's X-Forwarded-* headers.
"""
import multiprocessing
import os

wsgi_app = "riskdesk:create_app()"
bind = os.environ.get("RISKDESK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("RISKDESK_THREADS", "4"))  # gthread: a slow report render does not block a worker
worker_class = "gthread"
# A request may wait for a report render (RISKDESK_REPORT_RENDER_TIMEOUT, 120 s by default): allow a margin.
timeout = int(float(os.environ.get("RISKDESK_REPORT_RENDER_TIMEOUT", "120")) + 30)
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("RISKDESK_MAX_REQUESTS", "2000"))  # recycle workers to bound memory growth
max_requests_jitter = 200
accesslog = os.environ.get("RISKDESK_ACCESS_LOG", "-")
errorlog = os.environ.get("RISKDESK_ERROR_LOG", "-")
loglevel = os.environ.get("RISKDESK_LOG_LEVEL", "info")
# Client address (from ProxyFix when configured), request line, status, size, duration in microseconds.
access_log_format = '%(h)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
