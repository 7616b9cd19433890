// Transactions through ioredis against a Dynago node.
//
// Usage: node transactions.js HOST PORT
//
// Each check prints "ok NAME" or "FAIL NAME: what went wrong"; the script
// exits with status 1 if any check failed. internal/clients/clients_test.go
// runs it and reads its output.

"use strict";

const Redis = require("ioredis");

let failed = false;

function check(name, cond, detail) {
  if (cond) {
    console.log("ok " + name);
  } else {
    failed = true;
    console.log("FAIL " + name + ": " + detail);
  }
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function main() {
  const [host, port] = [process.argv[2], Number(process.argv[3])];
  const opts = { host, port, maxRetriesPerRequest: 1, lazyConnect: false };
  // "other" writes through a second node when one is given (a cluster).
  const otherHost = process.argv[4] || host;
  const otherPort = Number(process.argv[5] || port);
  const r = new Redis(opts);
  const other = new Redis({ ...opts, host: otherHost, port: otherPort });
  try {
    await r.del("js:a", "js:s", "js:w", "js:counter", "js:abort");

    // multi() ... exec(): every reply as [error, result].
    let got = await r.multi().set("js:a", "10").incrby("js:a", 5).get("js:a").exec();
    check("multi", same(got, [[null, "OK"], [null, 15], [null, "15"]]), JSON.stringify(got));

    // A runtime error takes its place; the rest runs.
    await r.set("js:s", "abc");
    got = await r.multi().set("js:a", "1").incr("js:s").get("js:a").exec();
    check("runtime error in place",
      got.length === 3 && got[0][1] === "OK" && got[1][0] instanceof Error &&
      /not an integer/.test(got[1][0].message) && got[2][1] === "1",
      JSON.stringify(got.map(([e, v]) => [e && e.message, v])));

    // An error while queuing discards the transaction: exec() rejects.
    try {
      await r.multi().set("js:abort", "1").call("NOSUCHCOMMAND").exec();
      check("EXECABORT", false, "exec() resolved");
    } catch (e) {
      check("EXECABORT", /EXECABORT/.test(e.message), e.message);
    }
    check("EXECABORT ran nothing", (await r.exists("js:abort")) === 0, "js:abort exists");

    // WATCH: another client's write makes exec() resolve to null.
    await r.set("js:w", "v0");
    await r.watch("js:w");
    await other.set("js:w", "theirs");
    got = await r.multi().set("js:w", "mine").exec();
    check("watch abort", got === null, JSON.stringify(got));
    check("watch abort kept their write", (await r.get("js:w")) === "theirs", await r.get("js:w"));

    // The optimistic-locking increment with concurrent clients.
    let succeeded = 0;
    const worker = async () => {
      const c = new Redis(opts);
      try {
        for (let done = 0; done < 20;) {
          await c.watch("js:counter");
          const v = Number((await c.get("js:counter")) || 0);
          const res = await c.multi().set("js:counter", String(v + 1)).exec();
          if (res !== null) {
            done++;
            succeeded++;
          }
        }
      } finally {
        c.disconnect();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const final = Number(await r.get("js:counter"));
    check("watch increment loop", final === succeeded && final === 80,
      "counter " + final + ", " + succeeded + " succeeded");
  } finally {
    r.disconnect();
    other.disconnect();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log("FAIL script: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
