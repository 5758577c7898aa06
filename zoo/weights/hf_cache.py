"""Files of Hugging Face repos through huggingface_hub, in the standard HF cache, checked against their blob hash."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..errors import DownloadError, WeightsError
from .download import hf_cache_dir, offline, sha256_matches


def hf_file(repo: str, filename: str, *, revision: str | None, what: str) -> Path:
    """One file of a Hugging Face repo into the standard HF cache (offline: from the cache only), hash-checked."""
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo, filename, revision=revision, cache_dir=hf_cache_dir(), local_files_only=offline())
    except Exception as exc:  # huggingface_hub raises many error types; translate them all
        hint = " (ZOO_OFFLINE=1 and it is not in the cache)" if offline() else ""
        raise DownloadError(
            f"could not fetch {what} ({filename}) from the Hugging Face Hub{hint}: {type(exc).__name__}"
        ) from exc
    check_hf_blob(Path(path), what)
    return Path(path)


def hf_first_file(repo: str, names: list[str], *, revision: str | None, what: str) -> Path:
    """The first of ``names`` the repo has (a checkpoint's safetensors, else its ``.bin``), as ``hf_file`` fetches
    it; when none can be had, the last one's error."""
    for name in names[:-1]:
        try:
            return hf_file(repo, name, revision=revision, what=what)
        except DownloadError:
            continue
    return hf_file(repo, names[-1], revision=revision, what=what)


def check_hf_blob(path: Path, what: str) -> None:
    """An HF cache file against the hash its blob is named by: sha256 for LFS files, git's sha1 for small ones."""
    blob = Path(os.path.realpath(path))
    name = blob.name
    if re.fullmatch(r"[0-9a-f]{64}", name):
        ok = sha256_matches(blob, name)
    elif re.fullmatch(r"[0-9a-f]{40}", name):
        data = blob.read_bytes()
        ok = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest() == name
    else:
        return  # not laid out by huggingface_hub (a local_dir download): nothing names its hash
    if not ok:
        raise WeightsError(f"the cached file of {what} ('{blob}') does not match the hash it is stored under")
