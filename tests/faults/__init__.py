"""Fault and property tests of issue 7: nothing lost, nothing counted twice, nobody let in
(see conftest.py)."""
