"""The Responses API on the wire, with no I/O: server-sent events, content codings, errors.

The fake server, the recording transports and every replay path use these, so
what one of them writes the others read the same way.
"""
