// Discord's markdown subset, rendered safely.
//
// Every string here is untrusted (digest text reaches it). The parser turns the source into a
// tree of plain nodes ({type, text} or {type, children, ...}); the renderer builds the DOM from
// that tree with createElement and text nodes only, never innerHTML, so text is text whatever
// it contains: "escape first" holds by construction, and the only markup is the whitelist
// below. A link's target must parse as an http(s) URL, or the link stays text.
//
// Block rules (at a line start): ```code blocks```, "> " and ">>> " quotes, "# "/"## "/"### "
// headings, "-# " subtext, "- " / "* " / "1. " list items. Inline rules: \escapes, `code`,
// **bold**, *italics* and _italics_, __underline__, ~~strike~~, ||spoilers||, [masked](links)
// (where Discord renders them), <https://autolinks> and bare URLs, <@user> <@&role> <#channel>
// mentions, <t:unix:style> timestamps and <:custom:emoji>.

const INLINE = [
  ["escape", /^\\([^0-9A-Za-z\s])/],
  ["codeblock", /^```(?:([A-Za-z0-9_+\-.#]+?)\n)?\n*([\s\S]*?)\n*```/],
  ["code", /^(`+)([\s\S]*?[^`])\1(?!`)/],
  ["mention", /^<(@!?|@&|#)(\d{1,20})>/],
  ["timestamp", /^<t:(-?\d{1,17})(?::([tTdDfFR]))?>/],
  ["emoji", /^<(a?):(\w{1,32}):(\d{1,20})>/],
  ["autolink", /^<(https?:\/\/[^\s<>]+)>/],
  ["url", /^https?:\/\/[^\s<]+[^<.,:;"'\])\s]/],
  ["link", /^\[((?:\\[\s\S]|[^\[\]\\])*)\]\(\s*<?(https?:\/\/[^\s<>()]+)>?\s*\)/],
  ["strong", /^\*\*([\s\S]+?)\*\*(?!\*)/],
  ["underline", /^__([\s\S]+?)__(?!_)/],
  ["em", /^\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s*\\]|\*\*)|[^\s*\\])+?)\*(?!\*)/],
  ["em_", /^_((?:__|\\[\s\S]|[^\\_])+?)_(?![A-Za-z0-9_])/],
  ["strike", /^~~([\s\S]+?)~~/],
  ["spoiler", /^\|\|([\s\S]+?)\|\|/],
  ["br", /^\n/],
  ["text", /^[\s\S]+?(?=[\\`<\[*_~|\n]|https?:\/\/|$)/],
];

/** Whether `raw` is an absolute http(s) URL (the only kind a link may point to). */
export function safeUrl(raw) {
  if (typeof raw !== "string") return null;
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Inline nodes of `src`; `opts.links`: masked links allowed (embeds, bot messages). */
export function parseInline(src, opts = {}, depth = 0) {
  const out = [];
  let i = 0;
  let guard = 0;
  while (i < src.length && guard++ < 100000) {
    const rest = src.slice(i);
    const prev = i > 0 ? src[i - 1] : "";
    let matched = false;
    for (const [type, re] of INLINE) {
      if (type === "link" && !opts.links) continue;
      if (type === "codeblock" && opts.noBlocks) continue;
      if (type === "em_" && /[A-Za-z0-9]/.test(prev)) continue;
      const m = re.exec(rest);
      if (!m || m[0].length === 0) continue;
      out.push(node(type, m, opts, depth));
      i += m[0].length;
      matched = true;
      break;
    }
    if (!matched) {
      out.push({ type: "text", text: src[i] });
      i += 1;
    }
  }
  return merge(out);
}

function node(type, m, opts, depth) {
  const inner = (s, o = opts) => (depth > 20 ? [{ type: "text", text: s }] : parseInline(s, o, depth + 1));
  switch (type) {
    case "escape":
      return { type: "text", text: m[1] };
    case "codeblock":
      return { type: "codeblock", lang: m[1] || "", text: m[2] };
    case "code":
      return { type: "code", text: m[2].replace(/^ (.*) $/s, "$1") };
    case "mention":
      return { type: "mention", kind: m[1].replace("!", ""), id: m[2] };
    case "timestamp":
      return { type: "timestamp", seconds: Number(m[1]), style: m[2] || "f" };
    case "emoji":
      return { type: "text", text: `:${m[2]}:` };
    case "autolink":
    case "url":
      return { type: "link", href: m[1] && type === "autolink" ? m[1] : m[0], children: [{ type: "text", text: type === "autolink" ? m[1] : m[0] }] };
    case "link":
      return { type: "link", href: m[2], title: true, children: inner(m[1], { ...opts, links: false }) };
    case "strong":
      return { type: "strong", children: inner(m[1]) };
    case "underline":
      return { type: "underline", children: inner(m[1]) };
    case "em":
    case "em_":
      return { type: "em", children: inner(m[1]) };
    case "strike":
      return { type: "strike", children: inner(m[1]) };
    case "spoiler":
      return { type: "spoiler", children: inner(m[1]) };
    case "br":
      return { type: "br" };
    default:
      return { type: "text", text: m[0] };
  }
}

function merge(nodes) {
  const out = [];
  for (const n of nodes) {
    const last = out[out.length - 1];
    if (n.type === "text" && last && last.type === "text") last.text += n.text;
    else out.push(n);
  }
  return out;
}

const BLOCK_LINE = /^(>>> |> |#{1,3} |-# |\s*(?:[-*]|\d{1,9}\.) )/;

/** Block nodes of `src` (a message's content, an embed description or field value). */
export function parse(src, opts = {}) {
  src = String(src ?? "").replace(/\r\n?/g, "\n");
  if (opts.inline) return parseInline(src, { ...opts, noBlocks: true });
  const out = [];
  // Code blocks first: nothing inside one is markdown, whatever line it starts.
  const fence = /```(?:([A-Za-z0-9_+\-.#]+?)\n)?\n*([\s\S]*?)\n*```/g;
  let last = 0;
  for (let m; (m = fence.exec(src)); ) {
    if (m.index > last) out.push(...lines(src.slice(last, m.index), opts));
    out.push({ type: "codeblock", lang: m[1] || "", text: m[2] });
    last = m.index + m[0].length;
  }
  if (last < src.length) out.push(...lines(src.slice(last), opts));
  return out;
}

function lines(text, opts) {
  const out = [];
  const rows = text.split("\n");
  let para = [];
  const flush = () => {
    if (para.length) out.push({ type: "paragraph", children: parseInline(para.join("\n"), { ...opts, noBlocks: true }) });
    para = [];
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const block = BLOCK_LINE.exec(row);
    if (!block) {
      para.push(row);
      continue;
    }
    flush();
    const mark = block[1];
    if (mark === ">>> ") {
      const body = [row.slice(4), ...rows.slice(r + 1)].join("\n");
      out.push({ type: "quote", children: lines(body, opts) });
      break;
    }
    if (mark === "> ") {
      const quoted = [];
      while (r < rows.length && rows[r].startsWith("> ")) quoted.push(rows[r++].slice(2));
      r -= 1;
      out.push({ type: "quote", children: lines(quoted.join("\n"), opts) });
    } else if (mark.startsWith("#")) {
      out.push({ type: "heading", level: mark.length - 1, children: parseInline(row.slice(mark.length), { ...opts, noBlocks: true }) });
    } else if (mark === "-# ") {
      out.push({ type: "subtext", children: parseInline(row.slice(3), { ...opts, noBlocks: true }) });
    } else {
      const ordered = /\d/.test(mark);
      const items = [];
      while (r < rows.length && BLOCK_LINE.exec(rows[r]) && /^\s*(?:[-*]|\d{1,9}\.) /.test(rows[r])) {
        const item = /^\s*(?:[-*]|(\d{1,9})\.) ([\s\S]*)$/.exec(rows[r]);
        items.push({ start: item[1], children: parseInline(item[2], { ...opts, noBlocks: true }) });
        r += 1;
      }
      r -= 1;
      out.push({ type: "list", ordered, start: ordered ? Number(items[0].start || 1) : 1, items });
    }
  }
  flush();
  return out;
}

// -- rendering ---------------------------------------------------------------------------

function el(tag, className, children = []) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const c of children) e.append(c);
  return e;
}

/** A Discord-style date for a <t:…> timestamp. */
export function formatTimestamp(seconds, style) {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return String(seconds);
  const time = { hour: "numeric", minute: "2-digit" };
  switch (style) {
    case "t": return d.toLocaleTimeString("en-US", time);
    case "T": return d.toLocaleTimeString("en-US");
    case "d": return d.toLocaleDateString("en-US");
    case "D": return d.toLocaleDateString("en-US", { dateStyle: "long" });
    case "F": return d.toLocaleString("en-US", { dateStyle: "full", timeStyle: "short" });
    case "R": return relative(d);
    default: return d.toLocaleString("en-US", { dateStyle: "long", timeStyle: "short" });
  }
}

function relative(d) {
  const s = Math.round((d.getTime() - Date.now()) / 1000);
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const fmt = new Intl.RelativeTimeFormat("en-US", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(s) >= size || unit === "second") return fmt.format(Math.trunc(s / size), unit);
  }
  return "";
}

/** The DOM of parsed nodes; `ctx.names(kind, id)` names mentioned users, roles, channels. */
export function toDom(nodes, ctx = {}) {
  const frag = document.createDocumentFragment();
  for (const n of nodes) frag.append(one(n, ctx));
  return frag;
}

function one(n, ctx) {
  const kids = () => (n.children ? [toDom(n.children, ctx)] : []);
  switch (n.type) {
    case "text": return document.createTextNode(n.text);
    case "br": return document.createElement("br");
    case "strong": return el("strong", "", kids());
    case "em": return el("em", "", kids());
    case "underline": return el("u", "", kids());
    case "strike": return el("s", "", kids());
    case "code": { const c = el("code", "md-code"); c.textContent = n.text; return c; }
    case "codeblock": { const p = el("pre", "md-codeblock"); const c = el("code"); c.textContent = n.text; p.append(c); return p; }
    case "spoiler": {
      const s = el("span", "md-spoiler", kids());
      s.addEventListener("click", () => s.classList.add("revealed"));
      return s;
    }
    case "link": {
      const href = safeUrl(n.href);
      if (!href) return el("span", "", kids());
      const a = el("a", "md-link", kids());
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      if (n.title) a.title = href;
      return a;
    }
    case "mention": {
      const names = ctx.names || (() => null);
      const kind = n.kind === "#" ? "channel" : n.kind === "@&" ? "role" : "user";
      const name = names(kind, n.id);
      const sigil = kind === "channel" ? "#" : "@";
      const s = el("span", "md-mention");
      s.textContent = sigil + (name || (kind === "channel" ? "unknown" : kind === "role" ? "unknown-role" : "unknown-user"));
      return s;
    }
    case "timestamp": {
      const s = el("span", "md-timestamp");
      s.textContent = formatTimestamp(n.seconds, n.style);
      return s;
    }
    case "paragraph": return el("div", "md-paragraph", kids());
    case "heading": return el(`h${n.level}`, "md-heading", kids());
    case "subtext": return el("div", "md-subtext", kids());
    case "quote": return el("blockquote", "md-quote", [toDom(n.children, ctx)]);
    case "list": {
      const list = el(n.ordered ? "ol" : "ul", "md-list");
      if (n.ordered) list.start = n.start;
      for (const item of n.items) list.append(el("li", "", [toDom(item.children, ctx)]));
      return list;
    }
    default: return document.createTextNode("");
  }
}

/** Parse and render in one step. */
export function renderMarkdown(src, opts = {}, ctx = {}) {
  return toDom(parse(src, opts), ctx);
}
