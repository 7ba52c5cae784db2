import os

import pytest
from hypothesis import HealthCheck, settings

# a fast default for local runs; CI selects the thorough one with HYPOTHESIS_PROFILE=ci
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def one_blas_thread():
    """Small matrices run fastest on one BLAS thread, and two test workers on two cores don't fight over them."""
    from tinygrad_np._training import blas_threads

    with blas_threads(1):
        yield
