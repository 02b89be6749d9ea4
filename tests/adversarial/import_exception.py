# replaces the whole submission
"""An exception at import time."""
raise RuntimeError("boom at import")
