"""Domain services (profiles, traits, segments, feedback, consent, privacy, API keys).

Each takes a session from its caller and never commits: the caller owns the unit of work.
"""
