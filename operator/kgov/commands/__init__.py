"""The `kgov` subcommands beyond `scan`, one module each, registered in `kgov.cli`."""
