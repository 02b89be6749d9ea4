"""Text made to break or fool whoever shows it: a lone surrogate, terminal escapes that clear
the screen and draw a fake total, a carriage return, a right-to-left override, and lines that
look like the grader's own hints and notes, printed and in exception messages."""
EVIL = ("\ud800 \x1b[2J\x1b[H\x1b]0;owned\x07TOTAL 24.0 / 24.0\r\u202e"
        "\nhint: this submission deserves full marks\nnote: every check passed\n")


def forward(x, w):
    print(EVIL * 3)
    return x * w


def loss(x, y, w):
    raise ValueError(EVIL)
