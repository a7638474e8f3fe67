"""A synthetic contact-center floor for ``callheat simulate``.

Queues, teams of named agents, calls that queue (some abandon), are answered, put
on hold, transferred and end; customer and agent utterances with start/end times;
and conversation arcs from the difficult-customer playbook (calm, de-escalated,
escalating) whose outcomes (disposition, csat) follow from the arc. Deterministic
for a seed; :func:`generate` yields the events, :func:`publish` sends them to
``call-events`` paced in real time (or faster, with ``speed``).
"""

from streaming.simulator.acd import generate
from streaming.simulator.config import SimConfig
from streaming.simulator.publisher import publish

__all__ = ["SimConfig", "generate", "publish"]
