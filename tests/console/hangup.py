"""Runs the console on a pseudo-terminal that is not the process's controlling terminal (so no
SIGHUP comes), closes the terminal's master side after a few seconds, and reports how the
process ended: `exited CODE SECONDS` or `running` (printed on stdout)."""
import fcntl
import os
import struct
import subprocess
import sys
import termios
import time

binary, home = sys.argv[1], sys.argv[2]
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
proc = subprocess.Popen(
    [binary, "--home", home, "--demo", "--port", "0"],
    stdin=slave, stdout=slave, stderr=slave, close_fds=True,
)
os.close(slave)
os.set_blocking(master, False)
seen = b""
deadline = time.time() + 20
while time.time() < deadline and b"Dashboard" not in seen:
    try:
        seen += os.read(master, 65536)
    except BlockingIOError:
        time.sleep(0.05)
os.close(master)
closed = time.time()
try:
    code = proc.wait(timeout=15)
    print(f"exited {code} {time.time() - closed:.2f}")
except subprocess.TimeoutExpired:
    proc.kill()
    print("running")
