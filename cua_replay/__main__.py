"""``python -m cua_replay``: the same CLI as the ``cua-replay`` script."""

from .cli.main import app

app(prog_name="cua-replay")
