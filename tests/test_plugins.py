"""Plugins are real distributions on sys.path (a dist-info folder with entry_points.txt), found by importlib."""

import os
import subprocess
import sys
import textwrap


def _make_dist(root, dist, module, source, entry):
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[zoo.models]\n{module} = {entry}\n")
    (info / "top_level.txt").write_text(module + "\n")


def _run(root, code):
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_plugin_module_and_callable_register_models(tmp_path):
    _make_dist(
        tmp_path,
        "zoo-tiny",
        "zoo_tiny",
        """
        from torch import nn
        import zoo

        @zoo.register_model("tiny_mlp", input_size=(1, 8, 8), num_classes=4, head="fc")
        class TinyMLP(nn.Module):
            def __init__(self, num_classes=4):
                super().__init__()
                self.fc = nn.Linear(64, num_classes)

            def forward(self, x):
                return self.fc(x.flatten(1))
        """,
        "zoo_tiny",
    )
    _make_dist(
        tmp_path,
        "zoo-late",
        "zoo_late",
        """
        from torch import nn
        import zoo

        def register():
            zoo.register_model("late_linear", head="0")(lambda num_classes=2: nn.Sequential(nn.Linear(3, num_classes)))
        """,
        "zoo_late:register",
    )
    code = (
        "import zoo; print(zoo.list_models('tiny*'), zoo.list_models('late*'));"
        "m = zoo.build('tiny_mlp', num_classes=3); print(m.get_classifier().out_features);"
        "print(zoo.model_info('tiny_mlp').source)"
    )
    result = _run(tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['tiny_mlp'] ['late_linear']", "3", "zoo-tiny"]


def test_broken_plugin_warns_with_its_distribution_and_zoo_keeps_working(tmp_path):
    _make_dist(tmp_path, "zoo-broken", "zoo_broken", "raise RuntimeError('boom')\n", "zoo_broken")
    result = _run(tmp_path, "import zoo; print(zoo.list_models('vgg1*', exclude='*_bn'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['vgg11', 'vgg13', 'vgg16', 'vgg19']"
    assert "zoo plugin 'zoo_broken' from distribution 'zoo-broken' failed to load" in result.stderr
    assert "RuntimeError: boom" in result.stderr
