"""Small hand-written calls for tests (our own words; never the shared data sets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streaming.events import CallEvent, event_from_dict, event_to_dict

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class CallScript:
    """Builds one call's events with increasing seq, ts and speech times."""

    def __init__(self, call_id: str, *, start: datetime = T0, agent_id: str = "a1",
                 agent_name: str = "Ana Silva", team: str = "Team Blue",
                 customer_id: str = "cust1", queue: str = "billing", consent: bool = True,
                 answered: bool = True) -> None:
        self.call_id, self.t, self.ms, self.seq = call_id, start, 0, 0
        self.events: list[CallEvent] = []
        self.add("call_queued", queue=queue, customer_id=customer_id)
        if answered:
            self.add("call_started", queue=queue, agent_id=agent_id, agent_name=agent_name,
                     team=team, customer_id=customer_id, channel="voice", language="en",
                     wait_s=12.0, consent=consent, dt=12)

    def add(self, type_: str, dt: float = 1.0, **fields: Any) -> CallScript:
        self.seq += 1
        self.t += timedelta(seconds=dt)
        obj = {"type": type_, "call_id": self.call_id, "ts": self.t.isoformat(), "seq": self.seq,
               **fields}
        self.events.append(event_from_dict(obj))
        return self

    def say(self, speaker: str, text: str, secs: float = 4.0, gap: float = 0.5,
            overlap: bool = False) -> CallScript:
        start = self.ms + int(gap * 1000) if not overlap else max(0, self.ms - 1500)
        end = start + int(secs * 1000)
        self.ms = end
        return self.add("utterance", dt=gap + secs, speaker=speaker, text=text, start_ms=start,
                        end_ms=end)

    def end(self, disposition: str = "resolved", csat: int | None = None) -> CallScript:
        fields: dict[str, Any] = {"disposition": disposition}
        if csat is not None:
            fields["csat"] = csat
        return self.add("call_ended", **fields)

    def dicts(self) -> list[dict[str, Any]]:
        return [event_to_dict(e) for e in self.events]


def calm_call(call_id: str = "calm-1", ended: bool = True, **kw: Any) -> CallScript:
    script = (CallScript(call_id, **kw)
            .say("agent", "Thanks for calling, how can I help you today?")
            .say("customer", "Hi, I'd like to update the address on my account please.")
            .say("agent", "Of course, I can do that for you right now.")
            .say("customer", "Great, thank you, that's really helpful.")
            .say("agent", "All done. Is there anything else I can help with?")
            .say("customer", "No, that's perfect. Thanks a lot, have a nice day!"))
    return script.end("resolved", 5) if ended else script


def angry_call(call_id: str = "angry-1", ended: bool = True, **kw: Any) -> CallScript:
    script = (CallScript(call_id, **kw)
            .say("agent", "Thanks for calling, how can I help?")
            .say("customer", "This is the third time I've called about my broken router and "
                 "nobody has fixed it. It's ridiculous.", secs=8)
            .say("agent", "As I said, the provisioning backend shows no fault.", overlap=True)
            .say("customer", "I don't care what your system says, it is still not working and "
                 "I am furious.", secs=7)
            .say("agent", "You need to listen, there's nothing I can do.", overlap=True)
            .say("customer", "Then I want to speak to your manager right now or I'm cancelling "
                 "my contract.", secs=6))
    return script.end("escalated", 1) if ended else script


def uneasy_call(call_id: str = "uneasy-1", **kw: Any) -> CallScript:
    """A customer getting annoyed, no threats yet: warming, not hot."""
    return (CallScript(call_id, **kw)
            .say("agent", "Hello, you're through to support, how can I help?")
            .say("customer", "My order is late again and I'm not happy about it.", secs=5)
            .say("agent", "Let me have a look at the order for you.")
            .add("hold_started", dt=2).add("hold_ended", dt=50)
            .say("customer", "This is really annoying, I needed it for the weekend.", secs=5))
