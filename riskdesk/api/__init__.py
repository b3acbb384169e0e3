"""The JSON API under ``/api/v1``: the same services as the pages, Bearer tokens, problem+json errors.

``base`` holds the blueprint, the SpecTree instance that generates the OpenAPI 3.1 document from the
views' pydantic models, and the shared request helpers; each ``*_api`` module holds one domain's
operations; ``routes`` puts them together for the factory.
"""
