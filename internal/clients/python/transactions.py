"""Transactions through redis-py against a Dynago node.

Usage: python3 transactions.py HOST PORT [OTHER_HOST OTHER_PORT]

The other client, which writes a watched key, uses the second node when one
is given (a cluster); every transaction goes through the first.

Each check prints "ok NAME" or "FAIL NAME: what went wrong"; the script
exits with status 1 if any check failed. internal/clients/clients_test.go
runs it and reads its output.
"""

import sys
import threading

import redis

failed = False


def check(name, cond, detail=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed = True
        print("FAIL %s: %s" % (name, detail))


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    other_host, other_port = (sys.argv[3], int(sys.argv[4])) if len(sys.argv) > 4 else (host, port)
    r = redis.Redis(host=host, port=port)
    other = redis.Redis(host=other_host, port=other_port)
    r.delete("py:a", "py:s", "py:w", "py:counter", "py:abort")

    # MULTI ... EXEC through a transactional pipeline.
    pipe = r.pipeline(transaction=True)
    pipe.set("py:a", "10").incrby("py:a", 5).get("py:a")
    got = pipe.execute()
    check("pipeline", got == [True, 15, b"15"], repr(got))

    # A runtime error takes its place in EXEC's reply; the rest runs.
    r.set("py:s", "abc")
    pipe = r.pipeline(transaction=True)
    pipe.set("py:a", "1").incr("py:s").get("py:a")
    got = pipe.execute(raise_on_error=False)
    check("runtime error in place",
          len(got) == 3 and got[0] is True and isinstance(got[1], redis.ResponseError)
          and "not an integer" in str(got[1]) and got[2] == b"1", repr(got))

    # An error while queuing (an unknown command) discards the transaction.
    pipe = r.pipeline(transaction=True)
    pipe.set("py:abort", "1")
    pipe.execute_command("NOSUCHCOMMAND")
    try:
        pipe.execute()
        check("EXECABORT", False, "execute() did not raise")
    except redis.ResponseError as e:
        check("EXECABORT", "unknown command" in str(e) or "EXECABORT" in str(e), str(e))
    check("EXECABORT ran nothing", r.exists("py:abort") == 0, "py:abort exists")

    # WATCH: a write by another client makes EXEC abort (WatchError).
    r.set("py:w", "v0")
    with r.pipeline() as p:
        p.watch("py:w")
        other.set("py:w", "theirs")
        p.multi()
        p.set("py:w", "mine")
        try:
            p.execute()
            check("WatchError", False, "EXEC ran")
        except redis.WatchError:
            check("WatchError", True)
    check("WatchError kept their write", r.get("py:w") == b"theirs", repr(r.get("py:w")))

    # The optimistic-locking increment with concurrent clients: the counter
    # ends at the number of transactions that succeeded.
    succeeded, lock = [0], threading.Lock()
    errors = []

    def incr(n):
        c = redis.Redis(host=host, port=port)
        try:
            for _ in range(n):
                def body(p):
                    v = int(p.get("py:counter") or 0)
                    p.multi()
                    p.set("py:counter", v + 1)
                c.transaction(body, "py:counter")
                with lock:
                    succeeded[0] += 1
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=incr, args=(20,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = int(r.get("py:counter") or 0)
    check("watch increment loop", not errors and final == succeeded[0] == 80,
          "errors %r, counter %d, %d succeeded" % (errors, final, succeeded[0]))

    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
