"""The data directory is private (docs/CONFIGURATION.md "Secrets"): Herald
creates it 0700 and its files 0600, runs with umask 077, writes a generated
JWT secret 0600 from the start, and warns about what already exists with
looser modes (leaving it as it is)."""
import os
import stat
import subprocess

import pytest

from conftest import make_token
from wsutil import connect, run, send, recv_type

DB_FILES = ["herald.db", "herald.db-wal", "herald.db-shm",
            "herald-archive.db", "herald-archive.db-wal", "herald-archive.db-shm"]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def umask_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    raise AssertionError("no Umask line")


def server_log(srv):
    srv.log.flush()
    with open(srv.log.name, "rb") as f:
        return f.read().decode(errors="replace")


@pytest.mark.sqlite_only
def test_created_data_dir_and_files_are_private(herald_factory, tmp_path):
    data = tmp_path / "fresh" / "data"  # neither exists yet
    # An empty --jwt-secret (given last, so it wins) makes the server generate one.
    srv = herald_factory("--data-dir", str(data), "--jwt-secret", "")
    assert umask_of(srv.proc.pid) == 0o077
    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700
    secret = (data / "jwt_secret").read_text().strip()
    assert len(secret) == 64
    assert mode(data / "jwt_secret") == 0o600
    for name in DB_FILES:  # the -wal and -shm exist while the server runs
        assert (data / name).exists(), name
        assert mode(data / name) == 0o600, name
    assert sorted(os.listdir(data)) == sorted(DB_FILES + ["jwt_secret"])  # no temporary left behind
    # The generated secret is the one in use.
    token = make_token(7, "grace", secret=secret)

    async def body():
        ws = await connect(srv, 7, token=token)
        await send(ws, {"type": "ping"})
        await recv_type(ws, "pong")
        await ws.close()
    run(body())
    assert "may access it" not in server_log(srv)


@pytest.mark.sqlite_only
def test_existing_loose_modes_are_warned_about_and_kept(herald_factory, tmp_path):
    data = tmp_path / "old"
    data.mkdir()
    os.chmod(data, 0o755)
    secret_file = data / "jwt_secret"
    secret_file.write_text("an-existing-secret-of-some-length\n")
    os.chmod(secret_file, 0o644)
    srv = herald_factory("--data-dir", str(data), "--jwt-secret", "")
    log = server_log(srv)
    assert f"data directory {data} is mode 0755" in log, log
    assert f"data file {secret_file} is mode 0644" in log, log
    # Nothing is changed behind the operator's back, and new files are private.
    assert mode(data) == 0o755
    assert mode(secret_file) == 0o644
    assert mode(data / "herald.db") == 0o600
    token = make_token(8, "heidi", secret="an-existing-secret-of-some-length")

    async def body():
        ws = await connect(srv, 8, token=token)
        await ws.close()
    run(body())


def test_token_command_creates_the_secret_private_whatever_the_umask(herald_binary, tmp_path):
    data = tmp_path / "for-token" / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    out = subprocess.run([herald_binary, "token", "--user-id", "5", "--username", "bob",
                          "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=10, check=True, env=env,
                         preexec_fn=lambda: os.umask(0o022))
    assert out.stdout.count(".") == 2  # a JWT
    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700
    assert mode(data / "jwt_secret") == 0o600
    assert os.listdir(data) == ["jwt_secret"]
