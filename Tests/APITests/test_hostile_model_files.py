"""Hostile model files and chat templates (docs/reliability.md "Attacks tried"): the cases of
scripts/attack_models.py against the binary under test. A model file must be refused at
start-up with an exit status and a message naming the file; a template must leave the server
up and answer each chat request with a bounded-time 4xx JSON error."""
import os
import sys

import pytest

from conftest import BIN, ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import attack_models  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "models")


def test_every_hostile_model_file_is_refused_naming_it(tmp_path):
    cases = attack_models.model_cases(FIXTURES, str(tmp_path))
    assert len(cases) >= 9
    for name, _, path in cases:
        ok, observed = attack_models.run_model_case(BIN, path, limit=60)
        assert ok, f"{name}: {observed}"


@pytest.mark.parametrize("index", range(len(attack_models.TEMPLATES)))
def test_hostile_chat_template_is_a_bounded_4xx(tmp_path, index):
    name, path = attack_models.template_cases(FIXTURES, str(tmp_path))[index]
    ok, observed, after = attack_models.run_template_case(BIN, path, str(tmp_path / "server.log"))
    assert ok, f"{name}: {observed}; after: {after}"
