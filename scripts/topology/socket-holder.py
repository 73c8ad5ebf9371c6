"""Holds a listening TCP socket and runs a command on it, again and again (systemd's .socket unit).

usage: socket-holder.py HOST PORT BACKLOG -- COMMAND [ARGS...]

The socket is opened once and kept for the holder's life. Each line "start" on stdin runs
COMMAND with the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID=<its pid> (systemd's protocol,
`man sd_listen_fds`). While no command runs, connections wait in the kernel's queue (up to
BACKLOG): none is refused, none is reset. systemd-socket-activate cannot do this: it execs the
command in its own place, so the socket dies with the first command.

Events on stdout, one JSON object a line: {"event": "listening", "port": N},
{"event": "started", "pid": N}, {"event": "exited", "pid": N, "code": N|null, "signal": N|null}.
The commands' stdout and stderr go to the holder's stderr. On stdin's end or SIGTERM: the
commands get SIGTERM (SIGKILL after 5 s), then the holder exits (scripts/topology/socket-holder.ts).
"""

import json
import os
import signal
import socket
import sys
import threading
import time

LISTEN_FDS_START = 3
lock = threading.Lock()
children = set()


def emit(**event):
    with lock:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def start(sock, command):
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(sock.fileno(), LISTEN_FDS_START)
            os.set_inheritable(LISTEN_FDS_START, True)  # a no-op dup2 (fd 3 already) keeps CLOEXEC
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(2, 1)
            os.environ["LISTEN_FDS"] = "1"
            os.environ["LISTEN_PID"] = str(os.getpid())
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    with lock:
        children.add(pid)
    emit(event="started", pid=pid)
    threading.Thread(target=reap, args=(pid,), daemon=True).start()


def reap(pid):
    _, status = os.waitpid(pid, 0)
    with lock:
        children.discard(pid)
    emit(
        event="exited",
        pid=pid,
        code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    )


def stop_children():
    with lock:
        running = list(children)
    for pid in running:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with lock:
            if not children:
                return
        time.sleep(0.05)
    with lock:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def on_sigterm(*_):
    stop_children()
    os._exit(0)


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.exit("usage: socket-holder.py HOST PORT BACKLOG -- COMMAND [ARGS...]")
    host, port, backlog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    command = sys.argv[5:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    signal.signal(signal.SIGTERM, on_sigterm)
    emit(event="listening", port=sock.getsockname()[1])
    # readline, not `for line in sys.stdin`, which reads ahead and would hold a "start" back.
    for line in iter(sys.stdin.readline, ""):
        if line.strip() == "start":
            start(sock, command)
    stop_children()


if __name__ == "__main__":
    main()
