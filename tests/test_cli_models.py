import json


def test_list_and_info(zoo_cli):
    result = zoo_cli("list", "vgg1*", "--exclude", "*_bn")
    assert result.returncode == 0
    assert result.stdout.split() == ["vgg11", "vgg13", "vgg16", "vgg19"]
    info = zoo_cli("info", "vgg16")
    assert "138,357,544" in info.stdout and "classifier.6" in info.stdout
    card = json.loads(zoo_cli("info", "timm/resnet18", "--json").stdout)
    assert card["head"] == "fc" and card["source"] == "timm"


def test_cli_errors_are_one_line_without_traceback(zoo_cli):
    result = zoo_cli("info", "vgg61")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown model 'vgg61'; did you mean vgg19, vgg16, vgg13?"
    assert "Traceback" not in result.stderr
