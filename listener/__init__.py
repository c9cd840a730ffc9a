"""The HTTP face for the BGS-Tally plugin: routes, API-key auth, request models, errors."""
