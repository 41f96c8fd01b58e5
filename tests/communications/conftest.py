from __future__ import annotations

import pytest

from fairpath.communications import channels


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Letters and outbox files go to a fresh folder; the SMS outbox starts empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    provider = channels.OutboxSmsProvider()
    previous = channels.use_sms_provider(provider)
    yield provider
    channels.use_sms_provider(previous)
