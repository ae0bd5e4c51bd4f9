"""Integrations with other test tools: the pytest plugin and the vcrpy adapter.

Each imports its tool on use, so installing cua-replay does not require them.
"""
