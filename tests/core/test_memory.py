"""The cycle collector is paused for a batch step and put back as it was, whatever happens in the step."""

import gc

import pytest

from fairpath.core.memory import without_cycle_collector


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_inside_and_restored_after_even_on_error(enabled_before):
    was = gc.isenabled()
    try:
        (gc.enable if enabled_before else gc.disable)()
        with without_cycle_collector():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled_before
        with pytest.raises(RuntimeError), without_cycle_collector():
            raise RuntimeError("the step failed")
        assert gc.isenabled() is enabled_before
    finally:
        (gc.enable if was else gc.disable)()
