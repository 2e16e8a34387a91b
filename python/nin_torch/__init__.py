"""NiN training on PyTorch for the nin-vscode extension: a child process the extension (and
the `nin` CLI) start with a job on stdin, that answers with one JSON event per stdout line.

Only the standard library, torch and numpy. See __main__.py for the protocol.
"""

PROTOCOL_VERSION = 1
