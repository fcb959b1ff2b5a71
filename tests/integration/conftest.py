from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Pipeline


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("pipeline")))
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0
