"""The audit trail: written by actions in their transaction, hash-chained, and tampering is found."""

import pytest
from django.db import (
    IntegrityError,
    InternalError,
    OperationalError,
    ProgrammingError,
    connection,
    transaction,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from fairpath.clients.actions import update_client
from fairpath.governance.audit import SystemActor, record_event, verify_all
from fairpath.governance.models import AuditChainHead, AuditEvent
from fairpath.governance.tamper import append_only_guard_lifted
from tests.factories import make_client, make_user

DATABASE_REFUSALS = (IntegrityError, InternalError, OperationalError, ProgrammingError)


@pytest.fixture
def admin_a(client_a):
    return make_user("administrator", client_a)


def test_an_action_writes_who_what_when_before_after_and_why(client_a, admin_a):
    update_client(client=client_a, changes={"name": "Lender A Ltd"}, actor=admin_a, reason="rebrand")
    event = AuditEvent.objects.get(action="client.updated")
    assert event.actor == admin_a and event.actor_label == admin_a.username
    assert event.client_id == client_a.id
    assert (event.object_type, event.object_id) == ("clients.client", str(client_a.id))
    assert event.before == {"name": "Lender A"} and event.after == {"name": "Lender A Ltd"}
    assert event.reason == "rebrand"
    assert verify_all().is_intact


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        record_event(actor=SystemActor("x"), action="test", object_type="t", object_id="1")


def test_events_link_per_client_chain(client_a, client_b, admin_a):
    admin_b = make_user("administrator", client_b)
    update_client(client=client_a, changes={"name": "A1"}, actor=admin_a)
    update_client(client=client_b, changes={"name": "B1"}, actor=admin_b)
    update_client(client=client_a, changes={"name": "A2"}, actor=admin_a)
    chain = list(AuditEvent.objects.filter(client=client_a).order_by("chain_seq"))
    assert [event.chain_seq for event in chain] == list(range(1, len(chain) + 1))
    for previous, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == previous.hash


def test_the_database_refuses_to_alter_or_delete_an_event(client_a, admin_a):
    update_client(client=client_a, changes={"name": "A1"}, actor=admin_a)
    event_id = AuditEvent.objects.latest("id").id
    with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
        AuditEvent.objects.filter(id=event_id).update(reason="forged")
    if connection.vendor == "postgresql":
        with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
            AuditEvent.objects.filter(id=event_id).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.get(id=event_id).save()


def _three_changes(client, admin):
    for name in ("One", "Two", "Three"):
        update_client(client=client, changes={"name": name}, actor=admin)
    return list(AuditEvent.objects.filter(client=client).order_by("chain_seq"))


def test_verify_names_an_altered_event(client_a, admin_a):
    events = _three_changes(client_a, admin_a)
    with append_only_guard_lifted():
        AuditEvent.objects.filter(id=events[1].id).update(after={"name": "Forged"})
    result = verify_all()
    assert not result.is_intact
    assert result.first_break.event_id == events[1].id
    assert "altered" in str(result.first_break)


def test_verify_finds_a_deleted_event_in_the_middle(client_a, admin_a):
    events = _three_changes(client_a, admin_a)
    with append_only_guard_lifted():
        AuditEvent.objects.filter(id=events[1].id).delete()
    result = verify_all()
    assert result.first_break is not None
    assert result.first_break.chain_seq == events[1].chain_seq
    assert "missing" in result.first_break.problem


def test_verify_finds_a_deleted_last_event(client_a, admin_a):
    events = _three_changes(client_a, admin_a)
    with append_only_guard_lifted():
        AuditEvent.objects.filter(id=events[-1].id).delete()
    result = verify_all()
    assert result.first_break is not None and "ends early" in result.first_break.problem


def test_verify_finds_a_relinked_chain(client_a, admin_a):
    events = _three_changes(client_a, admin_a)
    with append_only_guard_lifted():
        AuditEvent.objects.filter(id=events[2].id).update(prev_hash=events[0].hash)
    assert verify_all().first_break.event_id == events[2].id


class TestChainProperties(HypothesisTestCase):
    @settings(max_examples=15, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([None, 0, 1]),
                st.text(
                    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
                ),
            ),
            min_size=1,
            max_size=12,
        )
    )
    def test_any_sequence_of_events_verifies_and_heads_match(self, writes):
        clients = [make_client(), make_client()]
        actor = SystemActor("property")
        for client_index, reason in writes:
            client_id = None if client_index is None else clients[client_index].id
            with transaction.atomic():
                record_event(
                    actor=actor,
                    action="test.event",
                    object_type="test",
                    object_id="1",
                    client_id=client_id,
                    after={"text": reason},
                    reason=reason,
                )
        result = verify_all()
        assert result.is_intact
        for head in AuditChainHead.objects.all():
            assert AuditEvent.objects.filter(chain_key=head.chain_key).count() == head.last_seq


def test_bulk_events_chain_like_single_ones_and_verify(client_a, client_b, admin_a):
    from fairpath.governance.audit import PendingEvent, record_events_bulk

    update_client(client=client_a, changes={"name": "Before batch"}, actor=admin_a)
    batch = [
        PendingEvent("accounts.agreement", str(index), (client_a, client_b)[index % 2].id, after={"n": index})
        for index in range(7)
    ]
    with transaction.atomic():
        assert record_events_bulk(actor=SystemActor("cycle"), action="arrears.recomputed", events=batch) == 7
    update_client(client=client_a, changes={"name": "After batch"}, actor=admin_a)
    assert verify_all().is_intact
    seqs = list(
        AuditEvent.objects.filter(client=client_a).order_by("chain_seq").values_list("chain_seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
    with append_only_guard_lifted():
        AuditEvent.objects.filter(action="arrears.recomputed", object_id="3").update(after={"n": 99})
    assert (
        verify_all().first_break.event_id
        == AuditEvent.objects.get(action="arrears.recomputed", object_id="3").id
    )


def test_concurrent_writers_spread_over_the_client_stripes():
    """Each thread keeps one stripe, and threads do not all land on the same one (they would queue on one head)."""
    import threading

    from fairpath.governance.audit import AUDIT_STRIPES, chain_key_for

    keys: list[str] = []
    lock = threading.Lock()

    def note() -> None:
        first, second = chain_key_for(7), chain_key_for(7)
        with lock:
            keys.append(first)
            assert first == second

    threads = [threading.Thread(target=note) for _ in range(2 * AUDIT_STRIPES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 2 * AUDIT_STRIPES
    assert all(key.startswith("client:7/") for key in keys)
    assert len(set(keys)) > 1


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.floats(allow_nan=False),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
        st.dictionaries(st.integers(), inner, max_size=3),
    ),
    max_leaves=10,
)


@given(value=_values)
def test_audited_values_are_what_a_json_round_trip_gives(value):
    """The fast path for values that are already plain JSON must store exactly what the round trip would:
    dates and decimals as text, tuples as lists, integer keys as text."""
    import json

    from fairpath.governance.audit import _jsonable

    expected = json.loads(json.dumps(value, default=str, sort_keys=True))
    got = _jsonable(value)
    assert got == expected
    assert json.dumps(got, sort_keys=True, default=str) == json.dumps(expected, sort_keys=True)
