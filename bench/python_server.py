#!/usr/bin/env python3
"""A course-style HFTP server: the anchor for the connection-open rate in bench/run.sh.

What a networks-course lab solution looks like: a blocking accept loop that starts one Python thread per
connection, which reads request lines and answers get_file_listing, get_metadata, get_slice and quit as
../shared/PROTOCOL.md says (the common cases and errors; not every corner of its Decisions table).
Loopback only. Usage: python3 bench/python_server.py --port PORT --dir DIR
"""
import argparse
import base64
import os
import re
import socket
import threading

NAME = re.compile(rb"[A-Za-z0-9._-]+\Z")
DIGITS = re.compile(rb"[0-9]+\Z")


def served_path(directory, name):
    if not NAME.match(name) or name in (b".", b".."):
        return None
    path = os.path.join(directory, name.decode("ascii"))
    return path if os.path.isfile(path) else None


def answer(directory, line):
    """The reply to one request line, and whether the connection ends after it."""
    parts = line.split(b" ")
    command, arguments = parts[0], parts[1:]
    if command == b"quit":
        return (b"0 OK\r\n", True) if not arguments else (b"201 INVALID ARGUMENTS FOR COMMAND\r\n", False)
    if command == b"get_file_listing":
        if arguments:
            return b"201 INVALID ARGUMENTS FOR COMMAND\r\n", False
        names = sorted(name for name in os.listdir(directory) if NAME.match(name.encode()) and os.path.isfile(os.path.join(directory, name)))
        return b"0 OK\r\n" + b"".join(name.encode() + b"\r\n" for name in names) + b"\r\n", False
    if command == b"get_metadata":
        if len(arguments) != 1 or not NAME.match(arguments[0]):
            return b"201 INVALID ARGUMENTS FOR COMMAND\r\n", False
        path = served_path(directory, arguments[0])
        if path is None:
            return b"202 FILE NOT FOUND\r\n", False
        return b"0 OK\r\n%d\r\n" % os.path.getsize(path), False
    if command == b"get_slice":
        if len(arguments) != 3 or not NAME.match(arguments[0]) or not DIGITS.match(arguments[1]) or not DIGITS.match(arguments[2]):
            return b"201 INVALID ARGUMENTS FOR COMMAND\r\n", False
        path = served_path(directory, arguments[0])
        if path is None:
            return b"202 FILE NOT FOUND\r\n", False
        offset, size = int(arguments[1]), int(arguments[2])
        if offset + size > os.path.getsize(path):
            return b"203 OFFSET EXCEEDS FILE SIZE\r\n", False
        with open(path, "rb") as file:
            file.seek(offset)
            return b"0 OK\r\n" + base64.b64encode(file.read(size)) + b"\r\n", False
    return b"200 NO SUCH COMMAND\r\n", False


def serve(connection, directory):
    with connection:
        pending = b""
        while True:
            data = connection.recv(4096)
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.endswith(b"\r") or b"\r" in line[:-1]:
                    connection.sendall(b"100 BAD EOL\r\n")
                    return
                reply, close = answer(directory, line[:-1])
                connection.sendall(reply)
                if close:
                    return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(socket.SOMAXCONN)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, args.dir), daemon=True).start()


if __name__ == "__main__":
    main()
