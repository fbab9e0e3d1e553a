"""HTTP routes of the composition root (health, GraphQL, push endpoints)."""
