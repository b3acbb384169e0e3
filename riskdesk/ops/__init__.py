"""Operations: health checks for load balancers and orchestrators (``/healthz``, ``/readyz``)."""
