// The page checks its own proofs, with WebCrypto only (no network, works on file://).
//
// It reads the evidence (#evidence: the anchor, and each event's stored line and audit path) and the
// event rows of each derivation; it checks the checkpoint's signatures with the keys the page names
// (C2SP signed-note: Ed25519 and cosignature/v1), each line against the rows shown (its SHA-256 is the
// hash, its fields are the cells) and each line's RFC 9162 inclusion in the anchor's tree; then it writes
// each derivation's .proof-status and the #proof-banner, as text. The page carries its keys and this
// script: a rewritten page can lie, and perfledger-verify on the ledger's bundle is the authority.
"use strict";
(() => {
  const enc = new TextEncoder();
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  const FIELDS = { seq: "sequenza", id: "id", type: "tipo", effective_date: "data di efficacia",
                   recorded_at: "registrato il", actor: "autore", act: "atto", hash: "hash" };
  const RANK = { verified: 0, uncovered: 1, unchecked: 2, failed: 3 };
  const LEAD = { verified: "Verificato da questa pagina", uncovered: "Verificato in parte da questa pagina",
                 unchecked: "Firme non verificate da questo browser (non sa verificare Ed25519)" };

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
  const events = (n, one, many) => (n === 1 ? `1 evento ${one}` : `${n} eventi ${many}`);
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

  // The anchor: {state, where ("nel checkpoint 516 di ORIGIN, firmato da …"), root (its name)}.
  async function checkAnchor(a) {
    if (a.kind === "head") {
      return { state: "verified", root: "della testa del registro",
               where: `nella testa del registro (evento ${a.size}), che nessuno ha firmato né cosottoscritto` };
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
    const logs = found.filter((k) => k.role === "log").map((k) => k.name);
    const cosigners = found.filter((k) => k.role === "cosigner").map((k) => `${k.name} il ${day(k.when)}`);
    const where = `nel checkpoint ${a.size} di ${a.origin}, `
      + (logs.length ? `firmato da ${list(logs)}` : "non firmato dal registro")
      + (cosigners.length ? `, cosottoscritto da ${list(cosigners)}` : ", non cosottoscritto da nessuno");
    const keys = ` Chiavi: ${found.map((k) => `${k.name} ${k.id}`).join(", ")} (confrontatele con quelle pubblicate).`;
    return { state: found.every((k) => k.checked) ? "verified" : "unchecked", where, keys, root: "del checkpoint" };
  }

  // What each cell of an event's row must hold, from its stored line, spelt as EventRef spells it:
  // an act as "KIND n. NUMBER del DD/MM/YYYY" ("" for none), recorded_at without a zero fraction.
  function cellsOf(body, hash) {
    const act = body.act ? `${body.act.kind} n. ${body.act.number} del ${day(body.act.date)}` : "";
    return { seq: String(body.seq), id: body.id, type: body.type, effective_date: body.effective_date,
             recorded_at: String(body.recorded_at).replace(/\.000000Z$/, "Z"), actor: body.actor, act, hash };
  }

  // The ways a cell may show its value: as is, "-" or "—" for none, a hash cut short (to 8 digits or
  // more, "…" or not), "#" before a sequence number, dates in Italian (an instant with its UTC time).
  function shows(field, raw, text) {
    const t = text.replace(/\s+/g, " ").trim(), cut = t.replace(/…$/, "");
    if (t === raw || (raw === "" && (t === "-" || t === "—"))) return true;
    if (field === "hash") return cut.length >= 8 && raw.startsWith(cut);
    if (field === "seq") return t === `#${raw}`;
    if (field === "effective_date") return t === day(raw);
    const at = t.replace(/ UTC$/, "");
    return field === "recorded_at" && [0, 5, 8].some((n) => at === `${day(raw)} ${raw.slice(11, 11 + n)}`.trim());
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
    for (const row of rows) {
      for (const [field, name] of Object.entries(FIELDS)) {
        const td = row.querySelector(`td[data-field="${field}"]`);
        if (!td || td.dataset.value !== want[field] || !shows(field, want[field], td.textContent)) {
          refuse(`l'evento #${seq} non è quello mostrato (${name})`);
        }
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
  // The published figures a derivation links to as its parts (the derivations its links open).
  const partsOf = (section) => [...new Set(Array.from(section.querySelectorAll('a[href^="#"]'), (a) =>
    document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)))))]
    .filter((el) => el && el !== section && el.matches("section.derivation"));

  // A derivation's verdict {state, why, seqs}: its events (each shown on the page), then its parts',
  // since a figure made of published figures is only as sound as they are.
  function verdictOf(section, ctx, seen = new Set()) {
    if (ctx.done.has(section)) return ctx.done.get(section);
    seen.add(section);
    const own = seqsOf(section), results = own.map((s) => ctx.results.get(s));
    const rows = new Set(Array.from(section.querySelectorAll("tr.event"), (r) => r.dataset.seq));
    const stray = [...rows].find((s) => !own.includes(s));  // (a part's events may be shown in its own)
    const parts = partsOf(section).filter((p) => !seen.has(p)).map((p) => [p, verdictOf(p, ctx, seen)]);
    const broken = parts.find(([, v]) => v.state === "failed");
    let why = null;
    if (ctx.anchor.state === "failed") why = ctx.anchor.why;
    else if (stray) why = `la tabella mostra l'evento #${stray}, che la derivazione non elenca`;
    else why = results.find((r) => r.state === "failed")?.why
      ?? (broken && `la cifra collegata «${titleOf(broken[0])}» non è verificata: ${broken[1].why}`);
    const found = { state: why ? "failed" : worst([ctx.anchor, ...results, ...parts.map(([, v]) => v)]), why,
                    seqs: new Set([...own, ...parts.flatMap(([, v]) => [...v.seqs])]) };
    seen.delete(section);
    ctx.done.set(section, found);
    return found;
  }

  // The events a verdict rests on, and on what: "12 eventi inclusi nel checkpoint 516 di …".
  function reach(v, ctx) {
    const late = [...v.seqs].filter((s) => ctx.results.get(s).state === "uncovered"), one = late.length === 1;
    const after = late.length ? `; ${one ? "l'evento" : "gli eventi"} ${numbered(late)}, registrat${one ? "o" : "i"}`
      + ` dopo il checkpoint ${ctx.size}, poggia${one ? "" : "no"} sulla parola del registro` : "";
    return `${events(v.seqs.size - late.length, "incluso", "inclusi")} ${ctx.anchor.where}${after}`;
  }

  function words(v, ctx) {  // what a derivation's .proof-status says
    if (v.state === "failed") return `NON verificato: ${v.why}`;
    if (v.state === "unchecked") {
      return `non verificato da questo browser: ${reach(v, ctx)}, ma le firme non sono state controllate`
        + " (il browser non sa verificare Ed25519): usate perfledger-verify";
    }
    if (!v.seqs.size) return "nessun evento da verificare in questa derivazione";
    return `${v.state === "uncovered" ? "verificato in parte" : "verificato"}: ${reach(v, ctx)}`;
  }

  async function check(banner) {
    const evidence = JSON.parse(document.getElementById("evidence").textContent), a = evidence.anchor;
    const anchor = await checkAnchor(a).catch((e) => ({ state: "failed", why: reason(e) }));
    const root = unb64(a.root) || new Uint8Array(0);
    const sections = Array.from(document.querySelectorAll("section.derivation"));
    const all = [...new Set(sections.flatMap(seqsOf))];  // the events the page's figures rest on
    const ctx = { anchor, size: a.size, results: new Map(), done: new Map() };
    await Promise.all(all.map((seq) => checkEvent(seq, evidence.events[seq], a, root, anchor.root).then(
      (state) => ctx.results.set(seq, { state }), (e) => ctx.results.set(seq, { state: "failed", why: reason(e) }))));
    const failed = [];
    for (const section of sections) {
      const v = verdictOf(section, ctx), el = section.querySelector(".proof-status");
      if (el) say(el, v.state, words(v, ctx));
      if (v.state === "failed") failed.push(titleOf(section));
    }
    // The page's verdict: every figure's, over every event the figures rest on.
    const page = { state: worst([anchor, ...sections.map((s) => ctx.done.get(s))]), seqs: new Set(all) };
    const figures = `${sections.length} ${sections.length === 1 ? "cifra" : "cifre"}`;
    const authority = "perfledger-verify sul pacchetto del registro";
    if (page.state !== "failed") {
      say(banner, page.state, `${LEAD[page.state]}: ${figures}, ${reach(page, ctx)}. `
        + `${page.state === "verified" ? "La prova indipendente è" : "Per una prova indipendente:"} ${authority}.`
        + (anchor.keys || ""));
      return;
    }
    const bad = all.filter((s) => ctx.results.get(s).state === "failed").sort((x, y) => x - y);
    const named = failed.length === sections.length ? `Nessuna delle ${figures} è verificata`
      : `Cifre non verificate: ${failed.slice(0, 5).join("; ")}${failed.length > 5 ? "; …" : ""}`;
    const why = anchor.state === "failed" ? anchor.why : `${failed.length} su ${figures} non tornano`;
    say(banner, "failed", `NON verificato: ${why}${bad.length ? `; eventi che non tornano: ${numbered(bad)}` : ""}.`
      + ` ${named}. Verificate il registro con ${authority}.`);
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
