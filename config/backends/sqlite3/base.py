"""Django's SQLite backend, which creates the database file's folder when it first
connects, so that importing the settings creates nothing on disk (the embedded default
keeps its database in ./var, which a fresh checkout does not have)."""

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        name = str(conn_params["database"])
        # In-memory databases (the tests', ":memory:" or a "file:...mode=memory" URI)
        # have no folder; a "file:" URI is SQLite's to resolve.
        if name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
