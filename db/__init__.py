"""Storage: models, engines and tenant-scoped sessions."""
