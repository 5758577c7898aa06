"""Bundles: a model as a shareable folder (``model.safetensors`` + ``config.json`` + ``README.md``)."""
