"""Accounts: sign-in, passwords, roles and the access rule every route obeys."""
