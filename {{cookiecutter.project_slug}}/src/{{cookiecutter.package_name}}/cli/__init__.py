"""The command line: a module per role declares its commands beside their handlers, and main.py
assembles them."""
