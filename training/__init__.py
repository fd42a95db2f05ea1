"""Gravewatch training: corpus, model, evaluation and model registry.

This package never imports ``service``.
"""
