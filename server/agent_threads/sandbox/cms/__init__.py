"""CMS and STAROps digital employees as the sandbox serves it; ``app.build(ctx, family)`` is its ASGI app."""
