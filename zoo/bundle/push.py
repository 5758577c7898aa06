"""``zoo push``: upload a verified bundle folder to the Hugging Face Hub (optional extra ``zoo[hub]``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DownloadError, InvalidArgumentError
from .format import read_config, verify_files


def push(bundle: str | Path, target: str, *, private: bool = False) -> str:
    """Upload ``bundle`` to ``hf-hub:org/name`` (creating the repo); returns the commit URL."""
    if not target.startswith("hf-hub:") or "/" not in target:
        raise InvalidArgumentError(f"push target '{target}' must look like hf-hub:org/name")
    folder = Path(bundle)
    verify_files(folder, read_config(folder))
    try:
        from huggingface_hub import HfApi
    except ImportError as exc:
        raise InvalidArgumentError("zoo push needs huggingface_hub: pip install 'zoo[hub]'") from exc
    repo, _, revision = target.removeprefix("hf-hub:").partition("@")
    api = HfApi()
    try:
        api.create_repo(repo, private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo, folder_path=str(folder), revision=revision or None)
    except Exception as exc:  # huggingface_hub raises many error types (auth, network, HTTP)
        raise DownloadError(f"upload of '{folder}' to {target} failed: {type(exc).__name__}: {exc}") from exc
    return str(info)
