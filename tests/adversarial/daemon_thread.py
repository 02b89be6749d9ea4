"""A daemon thread started at import spins forever next to every call."""
import threading


def _spin():
    while True:
        pass


threading.Thread(target=_spin, daemon=True).start()
