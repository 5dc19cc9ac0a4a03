#!/usr/bin/python3
"""bulk.py serve ADDR PORT SIZE | send ADDR PORT SIZE SOURCE: SIZE bytes each way over one TCP connection.

The client (send) connects from SOURCE to ADDR:PORT, sends SIZE
bytes of its stream, and reads SIZE bytes of the server's; the server reads
the client's SIZE bytes and then sends its own. Each stream is SHA-256 in
counter mode over a label ("initiator" or "responder"), so every byte is
known in advance, and each end compares the SHA-256 of what it received
with that of the stream it expected. Prints `received N bytes, SHA-256
equal` and exits 0, or names the first differing offset and exits 1; exits
2 on a connection error or after 60 s. The server serves one connection.
"""
import hashlib
import socket
import sys

CHUNK = 65536


def stream(label, size):
    """The first size bytes of label's stream."""
    out, counter = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha256(b"%s %d" % (label.encode(), counter)).digest()
        counter += 1
    return bytes(out[:size])


def receive(conn, size):
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(min(CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def compare(got, want, what):
    if got == want:
        print("%s: received %d bytes, SHA-256 equal (%s)" % (what, len(got), hashlib.sha256(got).hexdigest()[:16]))
        return 0
    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print("%s: received %d of %d bytes, first difference at offset %d" % (what, len(got), len(want), first))
    return 1


def main(argv):
    if len(argv) != (5 if argv[1:2] == ["serve"] else 6) or argv[1] not in ("serve", "send"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, addr, port, size = argv[1], argv[2], int(argv[3]), int(argv[4])
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        if mode == "serve":
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, port))
                s.listen(1)
                s.settimeout(60)
                conn, _ = s.accept()
                with conn:
                    conn.settimeout(60)
                    rc = compare(receive(conn, size), stream("initiator", size), "responder")
                    conn.sendall(stream("responder", size))
                    return rc
        with socket.create_connection((addr, port), timeout=60, source_address=(argv[5], 0)) as conn:
            conn.sendall(stream("initiator", size))
            return compare(receive(conn, size), stream("responder", size), "initiator")
    except OSError as e:
        print("bulk.py %s %s:%d: %s" % (mode, addr, port, e))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
