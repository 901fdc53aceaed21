// One message as Discord shows it: author and time, markdown content, embeds with their colour
// bar, components (buttons, selects), the thread opened on it, and the "only you can see
// this" line of an ephemeral reply. DOM built with createElement and textContent only.

import { renderMarkdown, safeUrl } from "./markdown.js";

const GROUP_MS = 7 * 60 * 1000;
const BUTTON_STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium" };

export function el(tag, className, children = []) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function text(tag, className, value) {
  const e = el(tag, className);
  e.textContent = value;
  return e;
}

/** "Today at 9:00 AM", "Yesterday at …", or "03/13/2021 9:00 AM", as Discord's client says. */
export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const time = d.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86400000);
  const same = (a, b) => a.toDateString() === b.toDateString();
  if (same(d, today)) return `Today at ${time}`;
  if (same(d, yesterday)) return `Yesterday at ${time}`;
  return `${d.toLocaleDateString("en-US", { month: "2-digit", day: "2-digit", year: "numeric" })} ${time}`;
}

function avatar(user) {
  const a = el("div", "avatar");
  const hue = Number(BigInt(user.id || "0") % 360n);
  a.style.backgroundColor = `hsl(${hue}, 55%, 45%)`;
  a.textContent = (user.username || "?").slice(0, 1).toUpperCase();
  a.setAttribute("aria-hidden", "true");
  return a;
}

function colour(value) {
  return typeof value === "number" && value >= 0 && value <= 0xffffff
    ? `#${value.toString(16).padStart(6, "0")}`
    : null;
}

function link(children, href, className) {
  const url = safeUrl(href);
  if (!url) return el("span", className, children);
  const a = el("a", className, children);
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow";
  return a;
}

function image(src, className) {
  const url = safeUrl(src);
  if (!url) return null;
  const img = el("img", className);
  img.src = url;
  img.alt = "";
  img.loading = "lazy";
  img.referrerPolicy = "no-referrer";
  return img;
}

/** Fields laid out as Discord does: up to three inline fields a row (two beside a thumbnail). */
function fields(list, narrow) {
  const box = el("div", "embed-fields");
  const perRow = narrow ? 2 : 3;
  let row = [];
  const flush = () => {
    const span = 12 / row.length;
    row.forEach((f, i) => {
      f.style.gridColumn = `${1 + i * span} / ${1 + (i + 1) * span}`;
      box.append(f);
    });
    row = [];
  };
  for (const field of list) {
    const f = el("div", "embed-field");
    f.append(el("div", "embed-field-name", [renderMarkdown(field.name, { inline: true })]));
    f.append(el("div", "embed-field-value", [renderMarkdown(field.value, { links: true })]));
    if (!field.inline) {
      if (row.length) flush();
      row.push(f);
      flush();
    } else {
      row.push(f);
      if (row.length === perRow) flush();
    }
  }
  if (row.length) flush();
  return box;
}

export function embed(data, ctx) {
  const e = el("article", "embed");
  const bar = colour(data.color);
  if (bar) e.style.borderLeftColor = bar;
  const thumb = data.thumbnail ? image(data.thumbnail.url, "embed-thumbnail") : null;
  const grid = el("div", "embed-grid" + (thumb ? " with-thumbnail" : ""));
  if (data.author && data.author.name) {
    const icon = data.author.icon_url ? image(data.author.icon_url, "embed-author-icon") : null;
    grid.append(el("div", "embed-author", [icon, link([document.createTextNode(data.author.name)], data.author.url, "embed-author-name")]));
  }
  if (data.title) {
    const title = renderMarkdown(data.title, { inline: true }, ctx);
    grid.append(el("div", "embed-title", [data.url ? link([title], data.url, "embed-title-link") : title]));
  }
  if (data.description) grid.append(el("div", "embed-description", [renderMarkdown(data.description, { links: true }, ctx)]));
  if (Array.isArray(data.fields) && data.fields.length) grid.append(fields(data.fields, Boolean(thumb)));
  if (data.image) {
    const img = image(data.image.url, "embed-image");
    if (img) grid.append(img);
  }
  if (thumb) grid.append(thumb);
  const footer = [];
  if (data.footer && data.footer.text) footer.push(data.footer.text);
  if (data.timestamp) footer.push(when(data.timestamp));
  if (footer.length) {
    const icon = data.footer && data.footer.icon_url ? image(data.footer.icon_url, "embed-footer-icon") : null;
    grid.append(el("div", "embed-footer", [icon, text("span", "", footer.join(" • "))]));
  }
  e.append(grid);
  return e;
}

function components(message, ctx) {
  const box = el("div", "components");
  for (const row of message.components || []) {
    const r = el("div", "action-row");
    for (const c of row.components || []) {
      if (c.type === 2) {
        const label = [c.emoji && c.emoji.name ? `${c.emoji.name} ` : "", c.label || ""].join("");
        const style = BUTTON_STYLES[c.style] || "secondary";
        if (style === "link") {
          r.append(link([document.createTextNode(`${label} ↗`)], c.url, "button link"));
          continue;
        }
        const b = text("button", `button ${style}`, label);
        b.type = "button";
        b.disabled = Boolean(c.disabled);
        b.dataset.customId = c.custom_id || "";
        b.addEventListener("click", () => ctx.click(message, c, null));
        r.append(b);
      } else if (c.type === 3) {
        const s = el("select", "select-menu");
        s.append(text("option", "", c.placeholder || "Make a selection"));
        for (const o of c.options || []) {
          const opt = text("option", "", o.label);
          opt.value = o.value;
          s.append(opt);
        }
        s.disabled = Boolean(c.disabled);
        s.addEventListener("change", () => ctx.click(message, c, [s.value]));
        r.append(s);
      }
    }
    box.append(r);
  }
  return box;
}

/** Whether `message` continues `previous`'s group (same author, soon after, no command). */
export function continues(previous, message) {
  if (!previous || message.interaction || previous.interaction || previous.ephemeral) return false;
  if (previous.author.id !== message.author.id) return false;
  return new Date(message.timestamp) - new Date(previous.timestamp) < GROUP_MS;
}

/** The element of one message; `ctx` has names(kind, id), click(...), openThread(id). */
export function messageElement(message, ctx, grouped = false) {
  const m = el("div", "message" + (grouped ? " grouped" : "") + (message.ephemeral ? " ephemeral" : ""));
  m.dataset.id = message.id;
  if (message.interaction) {
    const head = el("div", "interaction-header", [
      text("span", "reply-spine", ""),
      text("span", "md-mention", `@${message.interaction.user}`),
      text("span", "", " used "),
      text("span", "command-name", `/${message.interaction.command}`),
    ]);
    m.append(head);
  }
  const row = el("div", "message-row");
  row.append(grouped ? text("span", "gutter-time", when(message.timestamp).replace(/^.* /, "")) : avatar(message.author));
  const body = el("div", "message-body");
  if (!grouped) {
    const header = el("div", "message-header", [text("span", "author", message.author.global_name || message.author.username)]);
    if (message.author.bot) header.append(text("span", "badge", "APP"));
    header.append(text("time", "timestamp", when(message.timestamp)));
    body.append(header);
  }
  if (message.loading) {
    body.append(text("div", "thinking", `${message.author.username} is thinking…`));
  } else if (message.content) {
    const content = el("div", "content", [renderMarkdown(message.content, { links: true }, ctx)]);
    if (message.edited_timestamp) content.append(text("span", "edited", " (edited)"));
    body.append(content);
  }
  for (const e of message.embeds || []) body.append(embed(e, ctx));
  if ((message.components || []).length) body.append(components(message, ctx));
  if (message.thread) {
    const chip = el("button", "thread-chip", [
      text("span", "thread-name", message.thread.name),
      text("span", "thread-count", `${message.thread.message_count} Messages ›`),
    ]);
    chip.type = "button";
    chip.dataset.threadId = message.thread.id;
    chip.addEventListener("click", () => ctx.openThread(message.thread.id));
    body.append(chip);
  }
  if (message.ephemeral) {
    body.append(text("div", "ephemeral-note", "👁 Only you can see this • Dismiss message"));
  }
  row.append(body);
  m.append(row);
  return m;
}
