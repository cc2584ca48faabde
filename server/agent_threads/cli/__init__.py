"""Command-line commands beyond serving: each module adds its subcommands and runs them."""
