"""forward calls sys.exit(3)."""
import sys


def forward(x, w):
    sys.exit(3)
