// The page checks its own proofs, with WebCrypto only (no network, works on file://).
//
// It reads the evidence (#evidence: the anchor; each event's stored line and audit path; the events each
// figure rests on) and checks: the checkpoint's signatures, with the keys the page names (C2SP
// signed-note: Ed25519 and cosignature/v1), and that the front page claims that very anchor; each line
// against the rows shown (its SHA-256 is the hash, its fields and note are the cells) and its RFC 9162
// inclusion in the anchor's tree; that each derivation lists the events its figure rests on and shows
// them; that every link to a figure shows the value its derivation shows. Then it writes each
// derivation's .proof-status and the #proof-banner, as text. It does not recompute a figure from its
// events (perfledger verify --bundle --expect does), and the "contributo" column is perfledger's
// explanation, not compared. The page carries its keys and this script: a rewritten page can lie, and
// perfledger-verify on the ledger's bundle is the authority.
"use strict";
(() => {
  const enc = new TextEncoder();
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  const FIELDS = { seq: "sequenza", id: "id", type: "tipo", effective_date: "data di efficacia",
                   recorded_at: "registrato il", actor: "autore", act: "atto", hash: "hash" };
  // A verdict, from best to worst: its events are in a signed checkpoint (verified), some of them were
  // recorded after it (uncovered), they are in the ledger's own head, signed by nobody (unsigned), the
  // signatures could not be checked here (unchecked), a check does not hold (failed). A verdict that
  // would not fail, with no event shown to be in the anchor, is "none": nothing was verified.
  const RANK = { verified: 0, uncovered: 1, unsigned: 2, unchecked: 3, failed: 4 };
  const LEAD = { verified: "eventi verificati", uncovered: "eventi verificati in parte",
                 none: "nessun evento verificato", unchecked: "firme non verificate da questo browser (non sa"
                 + " verificare Ed25519)" };
  const RECOMPUTED = "La pagina non ricalcola le cifre: le ricalcola dagli eventi, e le confronta con quelle"
    + " pubblicate, perfledger verify --bundle PACCHETTO --expect CIFRE.json (CIFRE.json: le cifre di perfledger"
    + " report --format json); la prova indipendente del registro è perfledger-verify sul suo pacchetto.";

  class Refused extends Error {}  // a check that does not hold; its message is the reason, in Italian
  const refuse = (why) => { throw new Refused(why); };
  const reason = (e) => (e instanceof Refused ? e.message : `la verifica si è interrotta (${e.message || e})`);

  const join = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };
  const sha256 = async (...parts) => new Uint8Array(await subtle.digest("SHA-256", join(...parts)));
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const unhex = (s) => (typeof s === "string" && /^([0-9a-f]{2})+$/.test(s)
    ? Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16)) : null);
  const unb64 = (s) => {  // canonical base64 only, as ledger.proofs reads it
    try {
      const b = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      return btoa(String.fromCharCode(...b)) === s ? b : null;
    } catch { return null; }
  };
  const day = (iso) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
  const moment = (iso) => `${day(iso)} ${iso.slice(11, 19)} UTC`;  // to the second, as words.moment
  const trim = (s) => s.replace(/^[ \t\n\f\r]+|[ \t\n\f\r]+$/g, "");  // what markup adds; never inner or U+00A0
  const the = (n) => (/^(8|11(...)*$)/.test(String(n)) ? "gli" : "i");  // gli otto, gli undici(mila): a vowel
  const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const list = (xs) => (xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} e ${xs.at(-1)}`);
  const numbered = (seqs) => seqs.slice(0, 5).map((s) => `#${s}`).join(", ") + (seqs.length > 5 ? ", …" : "");
  const worst = (found) => found.reduce((w, r) => (RANK[r.state] > RANK[w] ? r.state : w), "verified");
  const say = (el, state, text) => { el.dataset.state = state; el.textContent = text; };

  // RFC 9162 §2.1.3.2: fold the audit path of leaf `index` in a tree of `size` leaves; null if it
  // cannot be a path of that leaf in such a tree (too long, too short, index out of range).
  async function fold(index, size, leaf, path) {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) return null;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256([1], p, r);
        while (fn % 2 === 0 && fn !== 0) { fn /= 2; sn = Math.floor(sn / 2); }  // up to a right child
      } else {
        r = await sha256([1], r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // C2SP signed-note: the body is the text up to the last blank line (its final newline included),
  // then one line per signature, "— NAME base64(4-byte key ID ‖ signature)".
  function splitNote(note) {
    const cut = typeof note === "string" ? note.lastIndexOf("\n\n") : -1;
    if (cut < 0 || note.includes("\r") || !note.endsWith("\n")) return null;
    const sigs = note.slice(cut + 2, -1).split("\n").map((line) => {
      const m = /^— ([^ ]+) ([^ ]+)$/.exec(line), data = m && unb64(m[2]);
      return data && data.length >= 5 ? { name: m[1], keyId: data.slice(0, 4), sig: data.slice(4) } : null;
    });
    return sigs.includes(null) ? null : { body: note.slice(0, cut + 1), sigs };
  }

  // One key of the page (its vkey: name+hex8+base64(type ‖ 32-byte key)) and its signature of the
  // note: {name, role, when, checked}; checked is false if this browser has no Ed25519.
  async function checkKey(key, note) {
    const v = String(key.vkey), i = v.indexOf("+"), j = v.indexOf("+", i + 1);
    const name = v.slice(0, i), id = v.slice(i + 1, j), data = unb64(v.slice(j + 1));
    const type = { log: 1, cosigner: 4 }[key.role];
    if (!type || i < 1 || j < 0 || name !== key.name || id !== key.key_id || !data || data.length !== 33
        || data[0] !== type) refuse(`la chiave di ${key.name} non è una chiave di verifica valida`);
    const pub = data.slice(1);
    // The key ID binds name and type to the key: SHA-256(name ‖ 0x0A ‖ type ‖ key)[:4].
    const keyId = (await sha256(enc.encode(name), [0x0a, type], pub)).slice(0, 4);
    if (hex(keyId) !== id) refuse(`l'identificativo della chiave di ${name} non corrisponde alla chiave`);
    const line = note.sigs.find((s) => s.name === name && same(s.keyId, keyId));
    if (!line) refuse(`il checkpoint non porta la firma di ${name} (chiave ${id})`);
    let message = enc.encode(note.body), sig = line.sig, when = null;
    if (type === 4) {
      // cosignature/v1: 8-byte big-endian time ‖ Ed25519 over "cosignature/v1\ntime T\n" ‖ body.
      if (sig.length !== 72) refuse(`la cosottoscrizione di ${name} non è una cosignature/v1`);
      const time = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
      if (time >= 253402300800n) refuse(`la cosottoscrizione di ${name} ha una data impossibile`);
      when = new Date(Number(time) * 1000).toISOString().replace(".000Z", "Z");
      if (key.cosigned_at !== when) refuse(`la data di cosottoscrizione di ${name} non è quella firmata`);
      message = join(enc.encode(`cosignature/v1\ntime ${time}\n`), message);
      sig = sig.slice(8);
    }
    const found = { name, role: key.role, when, id, checked: false };
    let pk;
    try {
      pk = await subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      if (e.name === "NotSupportedError") return found;
      refuse(`la chiave di ${name} non è una chiave Ed25519`);
    }
    if (!(await subtle.verify({ name: "Ed25519" }, pk, sig, message))) {
      refuse(`la firma di ${name} non corrisponde al checkpoint`);
    }
    return { ...found, checked: true };
  }

  // The front page states what the figures rest on (dl.cut's data-anchor-*, and a dd per key that signed,
  // as words.signer writes it): it must be the evidence's anchor, with the keys found to sign it.
  function checkFront(a, keys) {
    const dl = document.querySelector("dl.cut"), d = dl ? dl.dataset : {};
    const claimed = Array.from(dl ? dl.querySelectorAll("dd[data-signer]") : [], (dd) => [dd.dataset.role,
      dd.dataset.signer, dd.dataset.keyId, dd.previousElementSibling?.textContent, trim(dd.textContent)].join("|"));
    const given = keys.map((k) => [k.role, k.name, k.id, k.role === "log" ? "Firmato da" : "Cosottoscritto da",
      `${k.name} (chiave ${k.id}${k.when ? `, il ${moment(k.when)}` : ""})`].join("|"));
    if (d.anchorKind !== a.kind || d.anchorSize !== String(a.size) || d.anchorOrigin !== a.origin
        || d.anchorRoot !== a.root || !same([...new Set(claimed)].sort(), [...new Set(given)].sort())) {
      refuse("il frontespizio dice un ancoraggio diverso da quello delle prove (tipo, dimensione, origine, radice"
        + " o firme)");
    }
  }

  // The anchor: {state, where ("nel checkpoint 516 di ORIGIN, firmato da …"), after ("dopo il checkpoint
  // 516"), root (its name), keys (the banner's list to compare), caveat (a head's: signed by nobody)}.
  async function checkAnchor(a) {
    if (a.kind === "head") {
      checkFront(a, []);
      const head = `la testa del registro (evento ${a.size})`;
      return { state: "unsigned", where: `nella testa del registro (evento ${a.size})`, after: `dopo ${head}`,
               root: "della testa del registro", caveat: `coerente con ${head}, che nessuno fuori dall'ente ha`
               + " firmato: non prova nulla contro chi tiene il registro" };
    }
    const note = splitNote(a.note);
    if (a.kind !== "checkpoint" || !note) refuse("il checkpoint della pagina non è una nota firmata");
    const [origin, size, root] = note.body.split("\n");
    if (origin !== a.origin || size !== String(a.size) || root !== a.root) {
      refuse("il checkpoint non dice l'origine, la dimensione o la radice che la pagina indica");
    }
    if (!a.keys.length) refuse("la pagina non dice chi ha firmato il checkpoint");
    const found = [];
    for (const key of a.keys) found.push(await checkKey(key, note));
    checkFront(a, found);
    const named = [...new Map(found.map((k) => [`${k.role} ${k.name} ${k.id} ${k.when}`, k])).values()];
    const logs = named.filter((k) => k.role === "log").map((k) => k.name);
    const cosigners = named.filter((k) => k.role === "cosigner").map((k) => `${k.name} il ${day(k.when)}`);
    const where = `nel checkpoint ${a.size} di ${a.origin}, `
      + (logs.length ? `firmato da ${list(logs)}` : "non firmato dal registro")
      + (cosigners.length ? `, cosottoscritto da ${list(cosigners)}` : ", non cosottoscritto da nessuno");
    const keys = ` Chiavi: ${named.map((k) => `${k.name} ${k.id}`).join(", ")} (confrontatele con quelle pubblicate).`;
    return { state: found.every((k) => k.checked) ? "verified" : "unchecked", where, keys,
             after: `dopo il checkpoint ${a.size}`, root: "del checkpoint" };
  }

  // What each cell of an event's row holds (its data-value, as EventRef spells it) and shows (its text,
  // as the page's template writes it), from the stored line: an act as "KIND n. NUMBER del DD/MM/YYYY"
  // ("" held, "-" shown for none), dates in Italian, an instant to the second, a hash's first 12 digits.
  // Both are compared exactly: ledger text may hold two spaces in a row or a no-break space.
  function cellsOf(body, hash) {
    const act = body.act ? `${body.act.kind} n. ${body.act.number} del ${day(body.act.date)}` : "";
    const at = String(body.recorded_at).replace(/\.000000Z$/, "Z"), seq = String(body.seq);
    return { seq: [seq, seq], id: [body.id, body.id], type: [body.type, body.type],
             effective_date: [body.effective_date, day(body.effective_date)], recorded_at: [at, moment(at)],
             actor: [body.actor, body.actor], act: [act, act || "-"], hash: [hash, hash.slice(0, 12)] };
  }

  // One event: "verified" (its line is what every row of it shows, and leaf `index` of the anchor's
  // tree), "uncovered" (recorded after the anchor: it rests on the ledger's word), or Refused.
  async function checkEvent(seq, ev, anchor, root, against) {
    if (!/^[1-9][0-9]*$/.test(seq)) refuse(`«${seq}» non è il numero di un evento`);
    if (!ev) refuse(`l'evento #${seq} non è tra le prove della pagina`);
    const line = enc.encode(ev.line);
    let body;
    try { body = JSON.parse(ev.line); } catch { refuse(`la riga dell'evento #${seq} non è JSON`); }
    if (body.seq !== Number(seq) || ev.seq !== body.seq || ev.index !== body.seq - 1) {
      refuse(`l'evento #${seq} non è al suo posto nel registro`);
    }
    const want = cellsOf(body, hex(await sha256(line)));
    const rows = document.querySelectorAll(`tr.event[data-seq="${seq}"]`);
    if (!rows.length) refuse(`l'evento #${seq} non è mostrato nella pagina`);
    const note = body.note ? [`nota: ${body.note}`] : [];
    for (const row of rows) {
      for (const [field, name] of Object.entries(FIELDS)) {
        const td = row.querySelector(`td[data-field="${field}"]`), [value, shown] = want[field];
        if (!td || td.dataset.value !== value || trim(td.textContent) !== shown) {
          refuse(`l'evento #${seq} non è quello mostrato (${name})`);
        }
      }
      if (!same(Array.from(row.querySelectorAll(".note"), (n) => n.textContent), note)) {
        refuse(`l'evento #${seq} non è quello mostrato (nota)`);
      }
    }
    if (ev.path === null && body.seq > anchor.size) return "uncovered";
    const path = Array.isArray(ev.path) ? ev.path.map(unhex) : [null];
    const top = path.includes(null) ? null : await fold(ev.index, anchor.size, await sha256([0], line), path);
    if (!top || !same(top, root)) refuse(`l'evento #${seq} non corrisponde alla radice ${against}`);
    return "verified";
  }

  const seqsOf = (section) => (section.dataset.events || "").split(/\s+/).filter(Boolean);
  const titleOf = (section) => section.querySelector("h1, h2, h3, h4")?.textContent.trim() || section.id;
  // The derivation a link opens (null: none).
  const target = (a) => {
    const href = a.getAttribute("href") || "", el = href.startsWith("#")
      && document.getElementById(decodeURIComponent(href.slice(1)));
    return el && el.matches("section.derivation") ? el : null;
  };
  // The published figures a derivation links to as its parts (the derivations its links open).
  const partsOf = (section) => [...new Set(Array.from(section.querySelectorAll('a[href^="#"]'), target))]
    .filter((el) => el && el !== section);

  // What a derivation must show, as the evidence gives its figure: the events it rests on (listed, each
  // in the derivation's tables or in a part it links to, and no other) and its value (data-shown: in its
  // heading and in every link to it). Null if it does, else the reason.
  function misshown(section, ctx) {
    const own = seqsOf(section), value = section.dataset.shown, listed = ctx.figures[section.id];
    if (!Array.isArray(listed) || value === undefined) return "le prove della pagina non hanno questa cifra";
    const rows = Array.from(section.querySelectorAll("tr.event"), (r) => r.dataset.seq);
    const shown = new Set([...rows, ...partsOf(section).flatMap(seqsOf)]), wanted = listed.map(String);
    const lost = wanted.find((s) => !own.includes(s)), extra = own.find((s) => !wanted.includes(s));
    const stray = rows.find((s) => !own.includes(s)), hidden = own.find((s) => !shown.has(s));
    const heading = trim(section.querySelector(".value")?.textContent ?? "");
    const link = (ctx.links.get(section) ?? []).find((text) => text !== value);
    if (lost) return `la derivazione non elenca l'evento #${lost}, su cui la cifra poggia`;
    if (extra) return `la derivazione elenca l'evento #${extra}, su cui la cifra non poggia`;
    if (stray) return `la tabella mostra l'evento #${stray}, che la derivazione non elenca`;
    if (hidden) return `la derivazione non mostra l'evento #${hidden}`;
    if (heading !== (value || "-")) return `la derivazione mostra «${heading}», ma la cifra è «${value}»`;
    if (link !== undefined) return `un collegamento mostra la cifra come «${link}», la derivazione come «${value}»`;
    return null;
  }

  // A derivation's verdict {state, why, seqs}: what it shows, its events (each shown on the page), then
  // its parts', since a figure made of published figures is only as sound as they are.
  function verdictOf(section, ctx, seen = new Set()) {
    if (ctx.done.has(section)) return ctx.done.get(section);
    seen.add(section);
    const own = seqsOf(section), results = own.map((s) => ctx.results.get(s));
    const parts = partsOf(section).filter((p) => !seen.has(p)).map((p) => [p, verdictOf(p, ctx, seen)]);
    const broken = parts.find(([, v]) => v.state === "failed");
    const why = (ctx.anchor.state === "failed" ? ctx.anchor.why : null) ?? misshown(section, ctx)
      ?? results.find((r) => r.state === "failed")?.why
      ?? (broken ? `la cifra collegata «${titleOf(broken[0])}» non è verificata: ${broken[1].why}` : null);
    const seqs = new Set([...own, ...parts.flatMap(([, v]) => [...v.seqs])]);
    const found = { state: why ? "failed" : worst([ctx.anchor, ...results, ...parts.map(([, v]) => v)]), why, seqs };
    seen.delete(section);
    ctx.done.set(section, found);
    return found;
  }

  // What a verdict's events were shown to be: "i 12 eventi citati sono quelli registrati e sono inclusi
  // nel checkpoint 516 di …", then those that rest on the ledger's word (recorded after the anchor).
  function reach(v, ctx, by = "") {
    const late = [...v.seqs].filter((s) => ctx.results.get(s).state === "uncovered");
    const n = v.seqs.size - late.length, { where, after } = ctx.anchor, found = [];
    if (n === 1) found.push(`l'evento citato${by} è quello registrato ed è incluso ${where}`);
    if (n > 1) found.push(`${the(n)} ${n} eventi citati${by} sono quelli registrati e sono inclusi ${where}`);
    if (late.length === 1) found.push(`l'evento ${numbered(late)}, registrato ${after}, poggia`);
    if (late.length > 1) found.push(`gli eventi ${numbered(late)}, registrati ${after}, poggiano`);
    return found.join("; ") + (late.length ? " sulla parola del registro" : "");
  }

  // The state a verdict shows: "none" for one that holds with no event of it in the anchor (all of them
  // recorded after it, or none at all): nothing was verified.
  const shown = (v, ctx) => (RANK[v.state] < RANK.unchecked
    && ![...v.seqs].some((s) => ctx.results.get(s).state === "verified") ? "none" : v.state);

  // What a verdict that holds says: its state, then `what` its events were shown to be (`by` whom: ""
  // on a derivation, " da questa pagina" on the banner).
  const holds = (state, what, ctx, by) => (state === "unsigned" ? `${ctx.anchor.caveat}. ${capital(what)}`
    : `${LEAD[state]}${state === "unchecked" ? "" : by}: ${what}`);
  const words = (v, ctx) => (v.state === "failed" ? `NON verificato: ${v.why}`  // a derivation's .proof-status
    : holds(shown(v, ctx), reach(v, ctx) || "la derivazione non cita eventi", ctx, ""));

  async function check(banner) {
    const evidence = JSON.parse(document.getElementById("evidence").textContent), a = evidence.anchor;
    const anchor = await checkAnchor(a).catch((e) => ({ state: "failed", why: reason(e) }));
    const root = unb64(a.root) || new Uint8Array(0);
    const sections = Array.from(document.querySelectorAll("section.derivation"));
    const all = [...new Set(sections.flatMap(seqsOf))];  // the events the page's figures rest on
    // Every figure shown in the text, by the derivation its link opens (a chart's bar is an SVG link:
    // its drawing is not compared).
    const links = new Map(), lost = [];
    for (const link of document.querySelectorAll("a.fig")) {
      if (!(link instanceof HTMLAnchorElement)) continue;
      const to = target(link), text = trim(link.textContent);
      if (to) links.set(to, [...(links.get(to) ?? []), text]); else lost.push(text);
    }
    const ctx = { anchor, figures: evidence.figures || {}, links, results: new Map(), done: new Map() };
    await Promise.all(all.map((seq) => checkEvent(seq, evidence.events[seq], a, root, anchor.root).then(
      (state) => ctx.results.set(seq, { state }), (e) => ctx.results.set(seq, { state: "failed", why: reason(e) }))));
    const failed = [];
    for (const section of sections) {
      const v = verdictOf(section, ctx), el = section.querySelector(".proof-status");
      if (el) say(el, shown(v, ctx), words(v, ctx));
      if (v.state === "failed") failed.push(titleOf(section));
    }
    // The page's verdict: every figure's, over every event the figures rest on.
    const page = { state: lost.length ? "failed" : worst([anchor, ...sections.map((s) => ctx.done.get(s))]),
                   seqs: new Set(all) };
    const figures = `${sections.length} ${sections.length === 1 ? "cifra" : "cifre"}`;
    if (page.state !== "failed") {
      const what = reach(page, ctx, sections.length === 1 ? " dalla cifra" : ` dalle ${figures}`)
        || `${sections.length === 1 ? "la cifra non cita" : `le ${figures} non citano`} eventi`;
      const state = shown(page, ctx);
      say(banner, state, `${capital(holds(state, what, ctx, " da questa pagina"))}. ${RECOMPUTED}${anchor.keys || ""}`);
      return;
    }
    const bad = all.filter((s) => ctx.results.get(s).state === "failed").sort((x, y) => x - y);
    const named = !failed.length ? "" : failed.length === sections.length ? ` Nessuna delle ${figures} è verificata.`
      : ` Cifre non verificate: ${failed.slice(0, 5).join("; ")}${failed.length > 5 ? "; …" : ""}.`;
    const why = anchor.state === "failed" ? anchor.why
      : failed.length ? `${failed.length} su ${figures} non tornano`
      : `il collegamento alla cifra «${lost[0]}» non porta alla sua derivazione`;
    say(banner, "failed", `NON verificato: ${why}${bad.length ? `; eventi che non tornano: ${numbered(bad)}` : ""}.`
      + `${named} Verificate il registro con perfledger-verify sul pacchetto del registro.`);
  }

  const banner = document.getElementById("proof-banner") || document.createElement("div");
  const stop = (state, text) => {
    say(banner, state, text);
    for (const el of document.querySelectorAll('.proof-status[data-state="pending"]')) say(el, state, text);
  };
  if (!subtle) {  // no WebCrypto here (not a secure context): nothing can be checked
    stop("unchecked", "Questo browser non offre WebCrypto a questa pagina: nessuna prova è stata verificata."
      + " Verificate il registro con perfledger-verify.");
  } else {
    check(banner).catch((e) => stop("failed", `NON verificato: ${reason(e)}.`));
  }
})();
