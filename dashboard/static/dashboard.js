// Dynago dashboard: polls /api/cluster every second and redraws.
"use strict";

const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
  "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"];

function colours(nodes) {
  const names = nodes.map(n => n.name).sort();
  const byName = {};
  names.forEach((name, i) => { byName[name] = palette[i % palette.length]; });
  return byName;
}

function arc(r0, r1, a0, a1) {
  const p = (r, a) => [r * Math.sin(a), -r * Math.cos(a)];
  const [x0, y0] = p(r1, a0), [x1, y1] = p(r1, a1), [x2, y2] = p(r0, a1), [x3, y3] = p(r0, a0);
  const large = a1 - a0 > Math.PI ? 1 : 0;
  return `M${x0},${y0} A${r1},${r1} 0 ${large} 1 ${x1},${y1} L${x2},${y2} A${r0},${r0} 0 ${large} 0 ${x3},${y3} Z`;
}

function drawRing(svg, cluster, colour, down) {
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const q = cluster.q, step = 2 * Math.PI / q;
  const bands = [[150, 190], [120, 146], [95, 116]];
  cluster.owners.forEach((owners, p) => {
    owners.slice(0, bands.length).forEach((owner, i) => {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", arc(bands[i][0], bands[i][1], p * step, (p + 1) * step));
      path.setAttribute("fill", colour[owner] || "#555");
      path.setAttribute("class", "partition" + (down.has(owner) ? " down" : ""));
      path.setAttribute("data-partition", p);
      path.setAttribute("data-owner", owner);
      if (down.has(owner)) path.setAttribute("fill-opacity", "0.25");
      const title = document.createElementNS(ns, "title");
      title.textContent = `partition ${p}: ${owners.join(", ")}`;
      path.appendChild(title);
      svg.appendChild(path);
    });
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("text-anchor", "middle");
  label.setAttribute("fill", "#d8dee6");
  label.setAttribute("font-size", "16");
  label.textContent = `${q} partitions, N=${cluster.n}`;
  svg.appendChild(label);
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function drawNodes(tbody, cluster, colour) {
  tbody.replaceChildren();
  for (const n of [...cluster.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const tr = document.createElement("tr");
    tr.dataset.node = n.name;
    if (n.state !== "alive") tr.className = "down";
    const sw = document.createElement("td");
    const box = document.createElement("span");
    box.className = "swatch";
    box.style.background = colour[n.name] || "#555";
    sw.appendChild(box);
    tr.appendChild(sw);
    tr.appendChild(cell(n.name + (n.name === cluster.node ? " (this node)" : "")));
    tr.appendChild(cell(n.state, "state " + n.state));
    tr.appendChild(cell(n.partitions, "num"));
    tr.appendChild(cell(n.reachable ? n.keys : "–", "num"));
    tr.appendChild(cell(n.reachable ? n.ops_per_sec.toFixed(0) : "–", "num"));
    tr.appendChild(cell(n.reachable ? n.hints_pending : "–", "num hints" + (n.hints_pending > 0 ? " warn" : "")));
    tr.appendChild(cell(n.reachable ? n.transfers_in_progress : "–", "num transfers" + (n.transfers_in_progress > 0 ? " warn" : "")));
    tr.appendChild(cell(n.reachable ? n.clients : "–", "num"));
    tbody.appendChild(tr);
  }
}

async function refresh() {
  const err = document.getElementById("error");
  try {
    const res = await fetch("/api/cluster", {cache: "no-store"});
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const cluster = await res.json();
    const colour = colours(cluster.nodes);
    const down = new Set(cluster.nodes.filter(n => n.state !== "alive").map(n => n.name));
    const alive = cluster.nodes.filter(n => n.in_ring && n.state === "alive").length;
    const ring = cluster.nodes.filter(n => n.in_ring).length;
    const hints = cluster.nodes.reduce((s, n) => s + (n.hints_pending || 0), 0);
    const ops = cluster.nodes.reduce((s, n) => s + (n.ops_per_sec || 0), 0);
    const summary = document.getElementById("summary");
    summary.textContent = `${alive} of ${ring} nodes alive · N=${cluster.n} R=${cluster.r} W=${cluster.w} · ` +
      `${ops.toFixed(0)} ops/s · ${hints} hints pending · seen from ${cluster.node}`;
    summary.dataset.alive = alive;
    summary.dataset.members = ring;
    drawRing(document.getElementById("ring"), cluster, colour, down);
    drawNodes(document.querySelector("#nodes tbody"), cluster, colour);
    err.hidden = true;
    document.body.dataset.updated = cluster.time;
  } catch (e) {
    err.hidden = false;
    err.textContent = `cannot reach the node: ${e.message}`;
  }
}

refresh();
setInterval(refresh, 1000);
