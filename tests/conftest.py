"""Shared pytest configuration: hypothesis profiles."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "welinq",
    deadline=None,
    max_examples=25,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("welinq"), max_examples=400, derandomize=False)
settings.load_profile("welinq")
