"""Registries: the generic ``Registry`` class, model cards, plugin discovery, and the model registry itself."""

from .cards import CardFields, ModelCard
from .models import MODELS, card_fields, card_with_weights, list_models, model_info, register_model, weights_table
from .plugins import load_entry_points
from .registry import Entry, Namespace, Registry
from .root import DATASETS, LOSSES, OPTIMIZERS, SCHEDULERS, TRANSFORMS

__all__ = [
    "DATASETS",
    "LOSSES",
    "MODELS",
    "OPTIMIZERS",
    "SCHEDULERS",
    "TRANSFORMS",
    "CardFields",
    "Entry",
    "ModelCard",
    "Namespace",
    "Registry",
    "card_fields",
    "card_with_weights",
    "list_models",
    "load_entry_points",
    "model_info",
    "register_model",
    "weights_table",
]
