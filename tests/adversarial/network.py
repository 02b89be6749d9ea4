"""Open a connection to the grading process (on the loopback) and to the internet;
forward raises if any connection was made."""
import socket

_connected = []
for _address in (("127.0.0.1", __PORT__), ("1.1.1.1", 53), ("8.8.8.8", 53)):
    try:
        socket.create_connection(_address, timeout=0.5).close()
        _connected.append(_address)
    except OSError:
        pass
_right_forward = forward


def forward(x, w):
    if _connected:
        raise RuntimeError(f"connected to {_connected}")
    return _right_forward(x, w)
