"""The shipped default models (installed as ``classifier._models``).

Rebuilt by ``make models``; ``manifest.json`` records how each was trained.
"""
