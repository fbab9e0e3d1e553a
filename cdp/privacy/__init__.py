"""Privacy: data subject requests (access export, erasure with a suppression list and a
receipt), the keyed hashing of identifiers, and retention (docs/privacy.md).

Consent reads live in `cdp.consent`; the audit log in `cdp.audit`. Every function takes the
caller's session and never commits.
"""
