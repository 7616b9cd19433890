// ioredis's Cluster client against a Dynago cluster.
//
// Usage: node cluster.js PREFIX HOST PORT [HOST PORT ...]
//
// Every address given is a startup node; some may be down. It writes and
// reads keys (plain, through a pipeline, hash-tagged) and a hash. Each check
// prints "ok NAME" or "FAIL NAME: ..."; the exit status is 1 if any failed.
// internal/clients/cluster_test.go runs it.
'use strict';

const Redis = require('ioredis');

let failed = false;
function check(name, cond, detail) {
  if (cond) {
    console.log('ok ' + name);
  } else {
    failed = true;
    console.log('FAIL ' + name + ': ' + (detail || ''));
  }
}

async function main() {
  const [prefix, ...args] = process.argv.slice(2);
  const nodes = [];
  for (let i = 0; i < args.length; i += 2) nodes.push({ host: args[i], port: Number(args[i + 1]) });
  const c = new Redis.Cluster(nodes, { clusterRetryStrategy: (times) => (times > 20 ? null : 100) });
  c.on('error', () => {}); // a startup node that is down is expected

  const keys = Array.from({ length: 200 }, (_, i) => `${prefix}:${i}`);
  for (let i = 0; i < keys.length; i++) await c.set(keys[i], String(i));
  const got = await Promise.all(keys.map((k) => c.get(k)));
  const bad = keys.filter((k, i) => got[i] !== String(i));
  check('set and get', bad.length === 0, 'wrong values for ' + bad.slice(0, 5));

  const pipe = c.pipeline();
  for (let i = 0; i < 30; i++) pipe.incr(`{${prefix}}:counter`);
  const replies = await pipe.exec();
  check('pipeline', replies[replies.length - 1][1] === 30, JSON.stringify(replies.slice(-3)));

  const tagged = Array.from({ length: 20 }, (_, i) => `{${prefix}:user}:${i}`);
  await c.mset(...tagged.flatMap((k, i) => [k, 'v' + i]));
  const vals = await c.mget(...tagged);
  check('hash-tagged keys', vals.every((v, i) => v === 'v' + i), JSON.stringify(vals.slice(0, 3)));

  const h = `${prefix}:session`;
  await c.hset(h, { user: 'ada', visits: '1', theme: 'dark' });
  await c.hincrby(h, 'visits', 4);
  await c.hdel(h, 'theme');
  const session = await c.hgetall(h);
  check('hash', JSON.stringify(session) === JSON.stringify({ user: 'ada', visits: '5' }), JSON.stringify(session));

  const z = `${prefix}:board`;
  await c.zadd(z, 10, 'ada', 7, 'bob', 12, 'cy');
  await c.zincrby(z, 5, 'bob');
  const board = await c.zrevrange(z, 0, -1, 'WITHSCORES');
  const top = await c.zrangebyscore(z, 11, '+inf');
  check('sorted set', JSON.stringify(board) === JSON.stringify(['cy', '12', 'bob', '12', 'ada', '10']) &&
    JSON.stringify(top) === JSON.stringify(['bob', 'cy']), JSON.stringify([board, top]));

  const p = `${prefix}:visitors`;
  await c.pfadd(p, ...Array.from({ length: 1000 }, (_, i) => 'user' + i));
  const n = await c.pfcount(p);
  const b = `${prefix}:flags`;
  await c.setbit(b, 3, 1);
  await c.setbit(b, 100, 1);
  const bits = await c.bitcount(b);
  check('hyperloglog and bitmap', n === 1011 && bits === 2 && (await c.getbit(b, 100)) === 1, JSON.stringify([n, bits]));

  await c.quit();
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log('FAIL exception: ' + e);
  process.exit(1);
});
