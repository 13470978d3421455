import subprocess


def test_top_level_help_lists_commands(proxy_binary):
    out = subprocess.run([proxy_binary, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("run", "ca", "captures", "status"):
        assert f"    {command}" in out


def test_unknown_command_is_a_usage_error(proxy_binary):
    r = subprocess.run([proxy_binary, "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr
