"""Integrations with other test tools: the pytest plugin and the vcrpy adapter.

Each needs its tool, installed with an extra (``cua-replay[pytest]``,
``cua-replay[vcr]``); importing one without it raises
:class:`~cua_replay.errors.MissingExtra` naming the extra to install.
"""
