"""``conformance serve``: the web application and JSON API over the evidence store (issue 22).

- ``tables.py``: accounts, role grants, sessions, API tokens, sign-in failures, comparisons (migration 0004).
- ``accounts.py``: argon2 passwords, users and their scoped roles (the CLI's ``users`` commands call it).
- ``auth.py``: server-side sessions, CSRF tokens, API tokens, the sign-in rate limit.
- ``scope.py``: the one tenancy rule every route asks: what a principal may see; anything else is 404.
- ``app.py`` (+ ``pages.py``, ``api.py``, ``views.py``): the FastAPI application.
"""
