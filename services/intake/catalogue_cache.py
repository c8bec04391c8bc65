"""The catalogue as intake has read it, kept in memory: every submission reads its procedure,
its agency and its center, and the catalogue changes only when an operator loads a new one.

A load NOTIFYs `intake_catalogue` in its transaction (PostgreSQL delivers it at the commit).
Each intake instance LISTENs on its process's listening connection (services.common.listener)
and forgets what it kept when told, or when that connection is lost (it could have missed a
notification); until it listens again every read goes to the database. What it keeps is
shared between requests: never modified.
"""
from nameko.extensions import DependencyProvider

from services.common.listener import ChangeListener

from .store import CATALOGUE_CHANNEL


class CatalogueCache(DependencyProvider):
    """Injects itself: `kept(key, read)`."""

    changes = ChangeListener()

    def setup(self):
        self._kept = {}
        self._generation = 0  # bumped at every forget: a read that spans one is not kept
        self._listening = False
        self.changes.follow(CATALOGUE_CHANNEL, self._loaded, self._lost)

    def get_dependency(self, worker_ctx):
        return self

    def kept(self, key, read):
        """What `read()` returns from the database (a procedure, an agency, a center of the
        catalogue: `key` names which), from memory when read since the last change; None,
        what is not found, is never kept (nor is memory spent on codes that do not exist)."""
        if key in self._kept:
            return self._kept[key]
        generation = self._generation
        found = read()
        if found is not None and self._listening and generation == self._generation:
            self._kept[key] = found
        return found

    def _forget(self):
        self._generation += 1
        self._kept.clear()

    def _loaded(self, cur):
        """Listening (a read begun before may predate a missed load), or a load committed."""
        self._forget()
        self._listening = True

    def _lost(self):
        self._listening = False
        self._forget()
