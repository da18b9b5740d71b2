"""Why the store server cannot open (shared by the server's modules, so none imports its caller)."""


class ServeError(RuntimeError):
    """The store cannot open: the port is taken, Redis does not answer, the database is damaged, ..."""
