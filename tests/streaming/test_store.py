"""The SQLite store: idempotent writes, newer rows win, interrupted calls."""

from streaming.store import ActionRow, CallRow, StoreBatch, TurnRow


def call(seq: int, status: str = "live", risk: float = 0.1) -> CallRow:
    return CallRow("c1", status, "billing", "k1", updated_at=float(seq), last_seq=seq, risk=risk)


def test_writes_are_idempotent_and_an_older_row_never_wins(store):
    turn = TurnRow("c1", 3, 3.0, "customer", "hello", 0, 900, 0.2, 0.1)
    batch = StoreBatch(calls={"c1": call(5, risk=0.8)}, turns=[turn], states={"c1": "{}"})
    store.apply(batch)
    store.apply(batch)  # a replay
    store.apply(StoreBatch(calls={"c1": call(3, risk=0.2)}))  # an older version, late
    assert store.counts()["turns"] == 1
    assert store.get_call("c1").risk == 0.8 and store.get_call("c1").last_seq == 5
    store.record_action(ActionRow("a1", "c1", "barge_in", "s1", 4.0))
    store.record_action(ActionRow("a1", "c1", "barge_in", "s1", 4.0))
    assert len(store.actions("c1")) == 1


def test_calls_left_open_are_closed_as_interrupted(store):
    store.apply(StoreBatch(calls={"c1": call(2)}, states={"c1": "{}"}))
    assert store.close_interrupted(99.0) == 1
    assert store.get_call("c1").status == "interrupted" and store.get_call("c1").ended_at == 99.0
    assert store.load_states(["c1"]) == {}
    assert store.close_interrupted(100.0) == 0


def test_ended_states_are_kept_for_late_feedback_then_pruned_by_age(store):
    store.apply(StoreBatch(ended_states={"c1": (100.0, '{"a": 1}'), "c2": (200.0, '{"b": 2}')},
                           ended_states_before=50.0))  # fmt: skip
    assert store.load_ended_states(["c1", "c2", "c3"]) == {"c1": '{"a": 1}', "c2": '{"b": 2}'}
    assert store.close_interrupted(300.0) == 0 and len(store.load_ended_states(["c1"])) == 1
    # a later batch moves the horizon past c1
    store.apply(StoreBatch(ended_states={"c3": (400.0, "{}")}, ended_states_before=150.0))
    assert sorted(store.load_ended_states(["c1", "c2", "c3"])) == ["c2", "c3"]
    assert store.counts()["ended_states"] == 2
