"""The version of the welinq distribution: the one place it is written.

``welinq_core.__version__``, ``qiskit_welinq.__version__``, ``cirq_welinq.__version__``
and the package metadata (``pyproject.toml`` reads this file) all come from here.
"""

__version__ = "0.1.0"
