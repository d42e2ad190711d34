"""The Postfix + Dovecot backend, split by job (backend.py strings them together).

- layout.py: where the files are, how an address is written in them;
- state.py: the ServerState read, folded and rendered;
- read.py: the server's files read into a ServerState;
- folding.py: a batch checked and folded into the next ServerState;
- homes.py: where each account's mail lives (mail never moves);
- render.py: every served file rendered whole from a ServerState;
- stage.py: the next generation staged (written, indexed, hard-linked, digests);
- switch.py: a staged generation committed, new addresses announced first;
- migrate.py: the flat layout of earlier versions moved into generations;
- modes.py: owners and modes of the served files.

Callers build the backend with ``backends.factory``; tests may use the pure parts below.
"""

from .backend import PostfixDovecotBackend
from .folding import fold
from .layout import FILES, MAPS
from .state import ServerState

__all__ = ["FILES", "MAPS", "PostfixDovecotBackend", "ServerState", "fold"]
