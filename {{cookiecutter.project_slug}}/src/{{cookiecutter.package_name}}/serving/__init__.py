"""The HTTP service: the champion (and optionally a challenger) behind one FastAPI app."""
