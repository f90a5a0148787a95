"""Governance's /api/v1/ routers, one module per resource."""
