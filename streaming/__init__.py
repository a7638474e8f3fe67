"""CallHeat streaming side: events, broker, simulator, scorer, store.

Subpackages and modules, one concern each:

- :mod:`streaming.settings` - the one frozen :class:`Settings` object.
- :mod:`streaming.events` - the event contract, parsed once at the Kafka boundary.
- :mod:`streaming.broker` - the embedded Kafka-compatible broker (Tansu).
- :mod:`streaming.simulator` - a synthetic contact-center floor.
- :mod:`streaming.scoring` - per-call state, river models, reasons (no Kafka, no I/O).
- :mod:`streaming.store` - SQLite / PostgreSQL persistence behind one interface.
- :mod:`streaming.consumer` - the batch loop: poll, score, store, publish, commit (its parts:
  :mod:`~streaming.intake`, :mod:`~streaming.rebalance`, :mod:`~streaming.training_topic`,
  :mod:`~streaming.publisher`, :mod:`~streaming.batch_writer`, :mod:`~streaming.offsets`,
  :mod:`~streaming.stats`).
"""

__version__ = "0.1.0"
