"""A supervisor's actions on a call: publish to Kafka, then record in the store.

Every action goes to ``supervisor-actions`` keyed by the call (what the scorer
reads: it stores the action too, and learns from ``feedback``); a whisper also
goes to ``agent-coaching`` keyed by the agent (what the agent desktop reads), first,
and to ``supervisor-actions`` once the broker acknowledged it. The action is stored
only after the broker acknowledged it, so the wallboard never shows an action nobody
got, and an action the broker refused reached nobody: sending it again cannot
whisper twice. An action the broker did not answer within the timeout may still arrive
(``Unanswered``), and is not said to have reached nobody. (A whisper the agent got whose
``supervisor-actions`` record failed is stored all the same, and said so: see ``publish``.)
The scorer stores the same action again when it consumes it; both writes are keyed by
``action_id``, so the call shows it once.

The builders (``whisper``, ``barge_in``, ``monitor``, ``acknowledge``,
``feedback``, ``correct_sentiment``) check and build an action without touching
Kafka (so a page can refuse an empty whisper before it connects a producer), and
every action they build passes the scorer's own ``parse_action``; ``publish``
sends and records it; ``send_whisper`` / ``send_barge_in`` do both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from streaming.errors import BrokerError, CallHeatError, InvalidEvent, StoreError
from streaming.events import FEEDBACK_LABELS, SupervisorAction, action_to_dict, encode, parse_action
from streaming.kafka_io import SendFailed, await_sends, send_json
from streaming.settings import Settings
from streaming.store import ActionRow, CallRow, Store

SEND_TIMEOUT_S = 10.0


class ActionError(CallHeatError):
    """The action cannot be sent as asked (no agent on the call, empty whisper...)."""


def _now() -> datetime:
    """Now in UTC, to the millisecond (the precision of the event contract's ``ts``)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _build(
    action: str,
    call: CallRow,
    supervisor_id: str,
    text: str | None = None,
    *,
    label: str | None = None,
    utterance_seq: int | None = None,
    sentiment: float | None = None,
    live_only: bool = True,
) -> SupervisorAction:
    """A SupervisorAction that passes the contract's own validation, or ActionError."""
    if live_only and call.status != "live":
        raise ActionError(f"the call is {call.status}, not live")
    built = SupervisorAction(
        action=action,
        action_id=uuid.uuid4().hex,
        call_id=call.call_id,
        supervisor_id=supervisor_id.strip(),
        ts=_now(),
        agent_id=call.agent_id,
        text=text.strip() if text is not None else None,
        label=label,
        utterance_seq=utterance_seq,
        sentiment=sentiment,
    )
    try:  # the scorer parses it with this very function: refuse what it would reject
        parse_action(encode(action_to_dict(built)))
    except InvalidEvent as exc:
        raise ActionError(f"cannot send this {action.replace('_', '-')}: {exc.reason}") from exc
    return built


def whisper(call: CallRow, text: str, supervisor_id: str) -> SupervisorAction:
    """A whisper of ``text`` to the call's agent (ActionError if it cannot be delivered)."""
    if not call.agent_id:
        raise ActionError("this call has no agent yet: nobody to whisper to")
    return _build("whisper", call, supervisor_id, text)


def barge_in(call: CallRow, supervisor_id: str) -> SupervisorAction:
    """``supervisor_id`` joins the call."""
    return _build("barge_in", call, supervisor_id)


def monitor(call: CallRow, supervisor_id: str) -> SupervisorAction:
    """``supervisor_id`` listens in (the agent and the customer do not hear them)."""
    return _build("monitor", call, supervisor_id)


def acknowledge(call: CallRow, supervisor_id: str) -> SupervisorAction:
    """``supervisor_id`` is on this call: the wallboard shows it so nobody else barges in."""
    return _build("acknowledge", call, supervisor_id)


def feedback(call: CallRow, supervisor_id: str, label: str) -> SupervisorAction:
    """The supervisor's verdict on the call: ``hot`` or ``not_hot`` (live or ended calls).

    The scorer learns from it while the call is live (an ended call has left its
    memory); the label counts toward the supervisor's alert precision either way.
    """
    if label not in FEEDBACK_LABELS:
        raise ActionError(f"feedback is {' or '.join(FEEDBACK_LABELS)}, not {label!r}")
    return _build("feedback", call, supervisor_id, label=label, live_only=False)


def correct_sentiment(
    call: CallRow, supervisor_id: str, utterance_seq: int, sentiment: float
) -> SupervisorAction:
    """What one turn's sentiment should have been, in [-1, 1] (the sentiment model learns it)."""
    if not call.consent:
        raise ActionError("this call has no recording consent: its turns are not scored")
    return _build("feedback", call, supervisor_id, utterance_seq=utterance_seq,
                  sentiment=round(float(sentiment), 3), live_only=False)  # fmt: skip


def build(kind: str, call: CallRow, supervisor_id: str) -> SupervisorAction:
    """One of the one-click actions by name: barge_in, monitor, acknowledge, hot, not_hot."""
    if kind in FEEDBACK_LABELS:
        return feedback(call, supervisor_id, kind)
    one_click = {"barge_in": barge_in, "monitor": monitor, "acknowledge": acknowledge}
    if kind not in one_click:
        raise ActionError(f"unknown action {kind!r}")
    return one_click[kind](call, supervisor_id)


class PartlySent(BrokerError):
    """The agent got the whisper, but ``supervisor-actions`` did not take its record; ``row``
    is the action as stored all the same (None if the store refused it too)."""

    def __init__(self, message: str, row: ActionRow | None) -> None:
        super().__init__(message)
        self.row = row


class Unanswered(BrokerError):
    """The broker did not answer within the timeout. Unlike a refusal, this says nothing of
    whether it has the action: a broker that stalls writes what it was sent once it goes on,
    so the action may still arrive. It is not stored (the scorer stores it if it arrives)."""


def _send(producer: KafkaProducer, topic: str, key: str, action: SupervisorAction,
          timeout_s: float) -> None:  # fmt: skip
    """Publish ``action`` to ``topic`` and wait for the broker's acknowledgement; BrokerError
    if the broker refused it, :class:`Unanswered` if it did not answer within ``timeout_s``."""
    try:
        sent = send_json(producer, topic, key, action_to_dict(action))
    except KafkaError as exc:  # it did not leave this process (no metadata for the topic, say)
        raise _not_taken(action, topic, exc) from exc
    try:
        await_sends(producer, [sent], timeout_s)
    except (KafkaTimeoutError, SendFailed) as exc:
        if isinstance(exc, SendFailed) and not exc.unanswered:  # refused: it reached nobody
            raise _not_taken(action, topic, exc) from exc
        # the flush ran out of time, or the producer expired the record it got no answer for
        raise Unanswered(f"no answer from the broker within {timeout_s:.0f} s about the "
                         f"{action.action.replace('_', '-')} for {topic}") from exc  # fmt: skip
    except KafkaError as exc:
        raise _not_taken(action, topic, exc) from exc


def _not_taken(action: SupervisorAction, topic: str, exc: KafkaError) -> BrokerError:
    return BrokerError(f"the broker did not take the {action.action.replace('_', '-')} for {topic} "
                       f"({type(exc).__name__}: {exc})")  # fmt: skip


def _row(action: SupervisorAction) -> ActionRow:
    return ActionRow(
        action_id=action.action_id,
        call_id=action.call_id,
        action=action.action,
        supervisor_id=action.supervisor_id,
        ts=action.ts.timestamp(),
        agent_id=action.agent_id,
        text=action.text,
        label=action.label,
        utterance_seq=action.utterance_seq,
        sentiment=action.sentiment,
    )


def publish(
    store: Store,
    producer: KafkaProducer,
    settings: Settings,
    action: SupervisorAction,
    timeout_s: float = SEND_TIMEOUT_S,
) -> ActionRow:
    """Publish ``action``, wait for the broker's acknowledgement, then store it.

    BrokerError if the broker refused it: nobody got it and nothing is stored, so sending it
    again cannot reach anyone twice. :class:`Unanswered` (a BrokerError) if the broker did not
    answer within ``timeout_s``: nothing is stored, but it may still arrive. A whisper goes
    to the agent first, and to ``supervisor-actions`` only once the agent has it: if that
    second send fails, the agent has the whisper all the same, so it is stored (the scorer
    only stores a whisper, it learns nothing from it) and PartlySent says so: sending it
    again would whisper twice.
    """
    topics = settings.topics
    row = _row(action)
    if action.action == "whisper" and action.agent_id:
        _send(producer, topics.agent_coaching, action.agent_id, action, timeout_s)
        try:
            _send(producer, topics.supervisor_actions, action.call_id, action, timeout_s)
        except BrokerError as exc:
            try:
                store.record_action(row)
            except StoreError as store_exc:
                raise PartlySent(f"{exc}, and the store did not take it either ({store_exc}): "
                                 f"it does not show on the call", None) from exc  # fmt: skip
            raise PartlySent(f"{exc}; it shows on the call all the same", row) from exc
    else:
        _send(producer, topics.supervisor_actions, action.call_id, action, timeout_s)
    store.record_action(row)
    return row


def send_whisper(
    store: Store,
    producer: KafkaProducer,
    settings: Settings,
    call: CallRow,
    text: str,
    supervisor_id: str,
    timeout_s: float = SEND_TIMEOUT_S,
) -> ActionRow:
    """Whisper ``text`` to the call's agent; returns the stored action.

    ActionError if the call is not live, has no agent or the text is empty;
    BrokerError if the broker did not take it, Unanswered if it did not answer (then nothing
    is stored).
    """
    return publish(store, producer, settings, whisper(call, text, supervisor_id), timeout_s)


def send_barge_in(
    store: Store,
    producer: KafkaProducer,
    settings: Settings,
    call: CallRow,
    supervisor_id: str,
    timeout_s: float = SEND_TIMEOUT_S,
) -> ActionRow:
    """Tell the scorer and the floor that ``supervisor_id`` joins the call."""
    return publish(store, producer, settings, barge_in(call, supervisor_id), timeout_s)
