"""redis-py's RedisCluster against a Dynago cluster.

Usage: python3 cluster.py PREFIX HOST PORT [HOST PORT ...]

Every address given is a startup node; some may be down. The script writes
and reads keys (plain, hash-tagged, through a pipeline and mset_nonatomic) and a hash
and prints "ok NAME" or "FAIL NAME: ..." per check; exit status 1 if any
check failed. internal/clients/cluster_test.go runs it.
"""

import sys

from redis.cluster import ClusterNode, RedisCluster

failed = False


def check(name, cond, detail=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed = True
        print("FAIL %s: %s" % (name, detail))


def main():
    prefix = sys.argv[1]
    args = sys.argv[2:]
    nodes = [ClusterNode(args[i], int(args[i + 1])) for i in range(0, len(args), 2)]
    rc = RedisCluster(startup_nodes=nodes, cluster_error_retry_attempts=10)

    keys = ["%s:%d" % (prefix, i) for i in range(200)]
    for i, k in enumerate(keys):
        rc.set(k, i)
    got = [rc.get(k) for k in keys]
    bad = [k for i, k in enumerate(keys) if got[i] != str(i).encode()]
    check("set and get", not bad, "wrong values for %s" % bad[:5])

    pipe = rc.pipeline()
    for _ in range(30):
        pipe.incr("{%s}:counter" % prefix)
    replies = pipe.execute()
    check("pipeline", replies[-1] == 30, "replies %s" % replies[-5:])

    tagged = {"{%s:user}:%d" % (prefix, i): "v%d" % i for i in range(20)}
    rc.mset_nonatomic(tagged)
    vals = rc.mget_nonatomic(list(tagged))
    check("hash-tagged keys", vals == [v.encode() for v in tagged.values()], "got %s" % vals[:3])

    slots = rc.cluster_keyslot("{%s:user}:1" % prefix) == rc.cluster_keyslot("{%s:user}:2" % prefix)
    check("hash tags share a slot", slots)
    h = "%s:session" % prefix
    rc.hset(h, mapping={"user": "ada", "visits": 1, "theme": "dark"})
    rc.hincrby(h, "visits", 4)
    rc.hdel(h, "theme")
    session = rc.hgetall(h)
    check("hash", session == {b"user": b"ada", b"visits": b"5"}, "got %s" % session)
    z = "%s:board" % prefix
    rc.zadd(z, {"ada": 10, "bob": 7, "cy": 12})
    rc.zincrby(z, 5, "bob")
    board = rc.zrevrange(z, 0, -1, withscores=True)
    top = rc.zrangebyscore(z, 11, "+inf")
    check("sorted set", board == [(b"cy", 12.0), (b"bob", 12.0), (b"ada", 10.0)] and top == [b"bob", b"cy"],
          "got %s, %s" % (board, top))
    p = "%s:visitors" % prefix
    rc.pfadd(p, *["user%d" % i for i in range(1000)])
    n = rc.pfcount(p)
    b = "%s:flags" % prefix
    rc.setbit(b, 3, 1)
    rc.setbit(b, 100, 1)
    # 1011: Redis's estimate of these 1,000 elements, which Dynago's must equal.
    check("hyperloglog and bitmap", n == 1011 and rc.bitcount(b) == 2 and rc.getbit(b, 100) == 1,
          "PFCOUNT %s, BITCOUNT %s" % (n, rc.bitcount(b)))
    rc.close()
    sys.exit(1 if failed else 0)


main()
