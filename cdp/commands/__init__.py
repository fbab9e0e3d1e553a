"""`cdp` sub-commands, one module per area; `cdp.cli` registers them."""
