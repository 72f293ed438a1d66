"""Helpers shared by the test areas (one place: no test module imports another test module).

- `web`: log in through the real login form, read a page's CSRF token.
- `cli`: run the `vigie` command in a subprocess on a given data directory.
"""
