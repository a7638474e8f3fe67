from streaming import checkpoint
from streaming.scoring import Scorer
from streaming.store import StoreBatch
from tests.factories import angry_call, calm_call


def test_a_restored_scorer_predicts_what_the_saved_one_did(tmp_path):
    trained = Scorer()
    for i in range(4):
        for script in (angry_call(f"a{i}", customer_id=f"k{i}"), calm_call(f"c{i}", customer_id=f"m{i}")):
            for e in script.events:
                trained.apply(e, StoreBatch())
    path = tmp_path / "models" / "scorer.pkl"
    checkpoint.save(trained, path)

    restored, cold = Scorer(), Scorer()
    assert checkpoint.restore(restored, path)
    probe = calm_call("probe", customer_id="new", ended=False)  # no hard rule masks the model
    results = {}
    for name, scorer in (("trained", trained), ("restored", restored), ("cold", cold)):
        batch = StoreBatch()
        for e in probe.events:
            scorer.apply(e, batch)
        scorer.flush(batch)
        results[name] = batch.calls["probe"].risk
    assert results["restored"] == results["trained"]
    assert results["cold"] != results["trained"]  # what was learned made a difference
    assert restored.validation() == trained.validation()


def test_a_missing_or_broken_checkpoint_is_a_cold_start(tmp_path):
    assert not checkpoint.restore(Scorer(), tmp_path / "none.pkl")
    broken = tmp_path / "broken.pkl"
    broken.write_bytes(b"not a pickle")
    assert not checkpoint.restore(Scorer(), broken)
