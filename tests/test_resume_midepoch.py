"""Mid-epoch checkpoints: ``kill -9`` anywhere, ``zoo train --resume``, and the finished run's weights are the
uninterrupted run's, bit for bit — with loader workers, random augmentation, gradient accumulation and DDP."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import zoo
from zoo.training import Callback

SPEC = """
model: {{name: cifar10_quick}}
data:
  train:
    name: image_folder
    root: {data}
    transforms:
      - {{name: RandomCrop, size: 32, padding: 4}}
      - {{name: RandomRotation, degrees: 15}}
      - {{name: ToTensor}}
  batch_size: 4
  num_workers: {workers}
optimizer: {{name: sgd, lr: 0.01, momentum: 0.9}}
scheduler: {{name: cosine}}
trainer:
  epochs: 3
  seed: 3
  out_dir: {out}
  accumulate: {accumulate}
  checkpoint_every: {every}
  log_every: 1
  progress: false
  tensorboard: {tensorboard}
"""

KILLER = """
import os, signal, sys
import zoo
from zoo.training import Callback
from zoo.training import Callback
import zoo.training.run_folder as checkpoint

mode, spec_path, kill_step = sys.argv[1], sys.argv[2], int(sys.argv[3])

class KillAtStep(Callback):  # runs before the built-in checkpoint of the same step
    def on_step_end(self, trainer):
        if trainer.state["step"] == kill_step and trainer.is_main_process:
            os.kill(os.getpid(), signal.SIGKILL)

if mode == "checkpoint":  # die inside the mid-epoch checkpoint of kill_step, its state written, the swap not yet done
    original = checkpoint.write_state
    def dying_write_state(folder, info, state):
        original(folder, info, state)
        if info["step"] == kill_step:
            os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.write_state = dying_write_state
zoo.Trainer(zoo.TrainSpec.from_yaml(spec_path), callbacks=[KillAtStep()] if mode == "batch" else []).fit()
"""


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """80 real PNG files, 2 classes of 32×32 RGB pictures (bright or dark noise)."""
    root = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    for label, (low, high) in {"dark": (0, 140), "bright": (110, 255)}.items():
        (root / label).mkdir()
        for i in range(40):
            Image.fromarray(rng.integers(low, high, (32, 32, 3), dtype=np.uint8)).save(root / label / f"{i}.png")
    return root


def write_spec(folder, pictures, *, workers=2, accumulate=1, every=10, tensorboard="false", name="run"):
    path = folder / f"{name}.yaml"
    spec = SPEC.format(
        data=pictures, workers=workers, out=folder / name, accumulate=accumulate, every=every, tensorboard=tensorboard
    )
    path.write_text(spec)
    return path


def weights(run):
    return load_file(str(run / "last" / "model.safetensors"))


def assert_equal_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def reference(tmp_path_factory, pictures):
    """Uninterrupted runs, once per module: {accumulate: final weights} (2 loader workers)."""
    folder = tmp_path_factory.mktemp("reference")
    found = {}
    for accumulate, every in ((1, 10), (2, 4)):
        spec = write_spec(folder, pictures, accumulate=accumulate, every=every, name=f"acc{accumulate}")
        zoo.Trainer(zoo.TrainSpec.from_yaml(str(spec))).fit()
        found[accumulate] = weights(folder / f"acc{accumulate}")
    return found


def kill(spec, mode, step, command=(sys.executable, "-c", KILLER)):
    killed = subprocess.run([*command, mode, str(spec), str(step)], capture_output=True, text=True, timeout=300)
    assert killed.returncode != 0, killed.stderr[-2000:]
    return killed


# 20 batches of 4 per epoch. accumulate 1: steps 21-40 are epoch 2, a checkpoint at step 30 (batch 10).
# accumulate 2: 10 steps per epoch, steps 11-20 are epoch 2, checkpoints every 4 steps: step 16 is batch 12.
CASES = {1: (10, range(31, 40), 30, 10), 2: (4, range(17, 20), 16, 12)}


@pytest.mark.parametrize("accumulate", [1, 2])
def test_kill_9_inside_an_epoch_then_resume_is_bit_identical(tmp_path, pictures, reference, zoo_cli, accumulate):
    every, kill_steps, saved_step, saved_batch = CASES[accumulate]
    step = random.choice(kill_steps)
    spec = write_spec(tmp_path, pictures, accumulate=accumulate, every=every, tensorboard="true")
    kill(spec, "batch", step)
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert (state["epoch"], state["step"], state["batch"]) == (1, saved_step, saved_batch), f"killed at {step}"
    assert len(json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]) == 1

    result = zoo_cli("train", "--resume", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert f"after epoch 2, batch {saved_batch} (step {saved_step})" in result.stderr
    assert_equal_weights(weights(tmp_path / "run"), reference[accumulate])
    history = json.loads((tmp_path / "run" / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    # TensorBoard: every optimizer step's loss exactly once, although steps up to `step` were logged twice
    events = EventAccumulator(str(tmp_path / "run" / "tb" / "run"))
    events.Reload()
    steps = [e.step for e in events.Scalars("train_steps/loss")]
    total = 3 * 20 // accumulate
    assert steps == list(range(1, total + 1)), f"killed at {step}"


def test_kill_9_during_a_mid_epoch_checkpoint_write(tmp_path, pictures, reference, zoo_cli):
    spec = write_spec(tmp_path, pictures)
    kill(spec, "checkpoint", 50)  # epoch 3's checkpoint: its state written into the staging folder, then killed
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert (state["epoch"], state["step"], state["batch"]) == (2, 40, 0)  # the previous last/ is intact
    result = zoo_cli("train", "--resume", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert_equal_weights(weights(tmp_path / "run"), reference[1])
    assert not list((tmp_path / "run").glob(".last*"))  # the cut write left nothing behind


def test_the_number_of_loader_workers_does_not_change_the_run(tmp_path, pictures, reference):
    """Augmentation draws depend on (seed, epoch, sample), not on the worker that reads the sample."""
    spec = write_spec(tmp_path, pictures, workers=0)
    zoo.Trainer(zoo.TrainSpec.from_yaml(str(spec))).fit()
    assert_equal_weights(weights(tmp_path / "run"), reference[1])


@pytest.mark.parametrize(
    ("setting", "saved_steps"),
    [({"checkpoint_every": 7}, {7, 14}), ({"checkpoint_every_minutes": 1e-9}, set(range(1, 20)))],
)
def test_mid_epoch_checkpoints_by_steps_or_minutes_never_replace_best(tmp_path, pictures, setting, saved_steps):
    spec = zoo.TrainSpec.from_yaml(str(write_spec(tmp_path, pictures, workers=0)))
    spec.trainer.epochs, spec.trainer.checkpoint_every = 1, None
    for key, value in setting.items():
        setattr(spec.trainer, key, value)
    seen = []

    class Watch(Callback):  # runs before the built-in checkpoint: sees the one of an earlier step
        def on_step_end(self, trainer):
            state = trainer.out_dir / "last" / "trainer_state.json"
            seen.append(json.loads(state.read_text())["step"] if state.exists() else None)
            assert not (trainer.out_dir / "best").exists()  # best/ only at the epoch end

    zoo.Trainer(spec, callbacks=[Watch()]).fit()
    assert set(seen) - {None} == saved_steps
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert (state["epoch"], state["step"], state["batch"]) == (1, 20, 0)
    assert (tmp_path / "run" / "best").is_dir()


@pytest.mark.slow  # three torchrun runs of two processes each (~60 s)
def test_kill_9_inside_an_epoch_under_ddp(tmp_path, pictures):
    launcher = shutil.which("torchrun")
    torchrun = [launcher] if launcher else [sys.executable, "-m", "torch.distributed.run"]
    command = [*torchrun, "--standalone", "--nproc_per_node", "2"]  # a free port: other runs may be going
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def train(*args):
        done = subprocess.run([*command, "-m", "zoo", "train", *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr[-3000:]

    train(str(write_spec(tmp_path, pictures, every=5, name="whole")))
    # 2 processes × 10 batches of 4 per epoch: steps 11-20 are epoch 2, the checkpoint at step 15 is batch 5
    spec = write_spec(tmp_path, pictures, every=5)
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    step = random.choice(range(16, 20))
    subprocess.run([*command, str(script), "batch", str(spec), str(step)], capture_output=True, env=env, timeout=300)
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert (state["epoch"], state["step"], state["batch"], state["world_size"]) == (1, 15, 5, 2), f"killed at {step}"
    train("--resume", str(tmp_path / "run"))
    assert_equal_weights(weights(tmp_path / "run"), weights(tmp_path / "whole"))


def test_data_on_device_resumes_inside_an_epoch_too(tmp_path, pictures, zoo_cli):
    """The device-resident loader starts at the saved position as well (a crash here: an exception at step 33)."""

    def run(name, callbacks=()):
        spec = zoo.TrainSpec.from_yaml(str(write_spec(tmp_path, pictures, workers=0, name=name)))
        spec.trainer.data_on_device = True
        spec.data.train.transforms = [{"name": "ToTensor"}]
        spec = zoo.TrainSpec.from_dict(spec.to_dict())
        zoo.Trainer(spec, callbacks=list(callbacks)).fit()

    class Crash(Callback):
        def on_step_end(self, trainer):
            if trainer.state["step"] == 33:
                raise RuntimeError("power cut")

    run("whole")
    with pytest.raises(RuntimeError, match="power cut"):
        run("run", [Crash()])
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert (state["epoch"], state["step"], state["batch"]) == (1, 30, 10)
    assert zoo_cli("train", "--resume", tmp_path / "run").returncode == 0
    assert_equal_weights(weights(tmp_path / "run"), weights(tmp_path / "whole"))
