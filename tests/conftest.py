import os

from hypothesis import HealthCheck, settings

# a fast default for local runs; CI selects the thorough one with HYPOTHESIS_PROFILE=ci
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
