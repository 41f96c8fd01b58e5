"""Customers and agreements over the API (filled in by the accounts domain)."""

from ninja import Router

router = Router()
