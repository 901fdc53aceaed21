// The command box: type "/", pick a synced command, fill its options as name:value, send.
//
// Suggestions appear above the box as in Discord: the commands (and subcommands) matching what
// is typed, then the options still to fill, then the values for the option being typed: its
// fixed choices, the bot's autocomplete answer (POST /_sandbox/interactions with "focused",
// the same interaction a test sends), the guild's channels or members, true/false. Tab or a
// click takes a suggestion (arrow keys move); Enter sends the command as the chosen member with
// the chosen permissions. The reply itself arrives in the channel over the event stream.

import { el } from "./render.js";

const SUB = 1, GROUP = 2, BOOLEAN = 5, USER = 6, CHANNEL = 7;

/** Every runnable path of the synced commands: "hot", "digest subscribe", ... */
export function leaves(commands) {
  const out = [];
  const walk = (path, description, options) => {
    const subs = (options || []).filter((o) => o.type === SUB || o.type === GROUP);
    if (!subs.length) {
      out.push({ path, description, options: options || [] });
      return;
    }
    for (const s of subs) walk(`${path} ${s.name}`, s.description, s.options);
  };
  for (const c of commands) walk(c.name, c.description, c.options);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** {leaf, options: [{name, value, start}], rest} for the text in the box (null: no command). */
export function parseLine(text, all) {
  const body = text.replace(/^\s*\//, "");
  const leaf = all
    .filter((l) => body === l.path || body.startsWith(`${l.path} `))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!leaf) return null;
  const rest = body.slice(leaf.path.length);
  const names = leaf.options.map((o) => o.name);
  const marks = [];
  const re = /(^|\s)([\w-]{1,32}):/g;
  for (let m; (m = re.exec(rest)); ) {
    if (names.includes(m[2])) marks.push({ name: m[2], at: m.index + m[1].length, valueAt: m.index + m[0].length });
  }
  const options = marks.map((mk, i) => ({
    name: mk.name,
    value: rest.slice(mk.valueAt, i + 1 < marks.length ? marks[i + 1].at : rest.length).trim(),
    raw: rest.slice(mk.valueAt, i + 1 < marks.length ? marks[i + 1].at : rest.length),
  }));
  return { leaf, options, offset: text.length - rest.length };
}

export class CommandBox {
  constructor(root, app) {
    this.app = app;
    this.all = [];
    this.items = [];
    this.active = -1;
    this.serial = 0;
    this.popup = el("div", "suggestions");
    this.popup.hidden = true;
    this.input = el("input", "command-input");
    this.input.type = "text";
    this.input.placeholder = "Type / to run a command";
    this.input.autocomplete = "off";
    this.input.spellcheck = false;
    this.member = el("select", "acting-member");
    this.perms = el("select", "acting-perms");
    for (const [label, value] of [
      ["their permissions in the channel", ""],
      ["Manage Server (a moderator)", "32"],
      ["Administrator", "8"],
      ["no permissions", "0"],
      ["custom…", "custom"],
    ]) {
      const o = el("option");
      o.textContent = label;
      o.value = value;
      this.perms.append(o);
    }
    this.custom = el("input", "acting-custom");
    this.custom.type = "number";
    this.custom.min = "0";
    this.custom.placeholder = "permission bits";
    this.custom.hidden = true;
    this.status = el("div", "command-status");
    this.status.setAttribute("role", "status");
    const acting = el("div", "acting", [document.createTextNode("Acting as "), this.member, document.createTextNode(" with "), this.perms, this.custom]);
    root.append(this.popup, el("div", "command-bar", [el("span", "plus", [document.createTextNode("+")]), this.input]), acting, this.status);
    this.perms.addEventListener("change", () => { this.custom.hidden = this.perms.value !== "custom"; });
    this.input.addEventListener("input", () => this.suggest());
    this.input.addEventListener("focus", () => this.suggest());
    this.input.addEventListener("keydown", (e) => this.key(e));
  }

  /** New world: the commands and the members of the current guild. */
  update(commands, guild) {
    this.all = leaves(commands);
    this.guild = guild;
    const keep = this.member.value;
    this.member.replaceChildren();
    for (const m of (guild ? guild.members : []).filter((m) => !m.bot)) {
      const o = el("option");
      o.textContent = m.username;
      o.value = m.id;
      this.member.append(o);
    }
    const tester = (guild ? guild.members : []).find((m) => m.username === "tester");
    this.member.value = keep || (tester ? tester.id : this.member.value);
  }

  show(items) {
    this.items = items;
    this.active = items.length ? 0 : -1;
    this.navigated = false;
    this.popup.replaceChildren();
    this.popup.hidden = !items.length;
    items.forEach((item, i) => {
      const row = el("div", "suggestion" + (i === 0 ? " active" : ""));
      const name = el("span", "suggestion-name");
      name.textContent = item.label;
      const hint = el("span", "suggestion-hint");
      hint.textContent = item.hint || "";
      row.append(name, hint);
      row.addEventListener("mousedown", (e) => { e.preventDefault(); this.take(i); });
      this.popup.append(row);
    });
    if (items.length) this.popup.prepend(el("div", "suggestions-title", [document.createTextNode(items[0].title || "")]));
  }

  async suggest() {
    const text = this.input.value;
    const serial = ++this.serial;
    if (!text.startsWith("/")) return this.show([]);
    const parsed = parseLine(text, this.all);
    if (!parsed) {
      const typed = text.slice(1).trim();
      return this.show(this.all.filter((l) => l.path.startsWith(typed)).map((l) => ({
        title: "Commands", label: `/${l.path}`, hint: l.description, insert: `/${l.path} `, replace: true,
      })));
    }
    const { leaf, options } = parsed;
    const last = options[options.length - 1];
    const typingValue = last && !/\s$/.test(last.raw) && text.endsWith(last.raw);
    if (!typingValue) {
      const given = new Set(options.map((o) => o.name));
      const left = leaf.options.filter((o) => !given.has(o.name)).sort((a, b) => Number(Boolean(b.required)) - Number(Boolean(a.required)));
      return this.show(left.map((o) => ({
        title: `/${leaf.path}: options`, label: `${o.name}${o.required ? "" : " (optional)"}`, hint: o.description, insert: `${o.name}:`,
      })));
    }
    const spec = leaf.options.find((o) => o.name === last.name);
    const current = last.value;
    let values = [];
    if (spec.choices) values = spec.choices.map((c) => ({ name: c.name, value: String(c.value) }));
    else if (spec.type === BOOLEAN) values = [{ name: "True", value: "true" }, { name: "False", value: "false" }];
    else if (spec.type === CHANNEL) values = this.guild.channels.filter((c) => !c.is_thread).map((c) => ({ name: `#${c.name}`, value: `#${c.name}` }));
    else if (spec.type === USER) values = this.guild.members.map((m) => ({ name: `@${m.username}`, value: `@${m.username}` }));
    else if (spec.autocomplete) {
      const result = await this.app.interact(this.request(parsed, last.name), true);
      if (serial !== this.serial) return undefined;
      values = (result.choices || []).map((c) => ({ name: c.name, value: String(c.value) }));
      return this.show(values.map((v) => ({ title: `${last.name}`, label: v.name, insert: v.value, value: true })));
    }
    const lower = current.toLowerCase();
    values = values.filter((v) => v.name.toLowerCase().includes(lower) || v.value.toLowerCase().includes(lower));
    return this.show(values.map((v) => ({ title: `${last.name}`, label: v.name, insert: v.value, value: true })));
  }

  take(i) {
    const item = this.items[i];
    if (!item) return;
    const text = this.input.value;
    if (item.replace) this.input.value = item.insert;
    else if (item.value) {
      const parsed = parseLine(text, this.all);
      const last = parsed.options[parsed.options.length - 1];
      this.input.value = text.slice(0, text.length - last.raw.length) + item.insert + " ";
    } else this.input.value = text.replace(/\s*$/, " ") + item.insert;
    this.input.focus();
    this.suggest();
  }

  key(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!this.items.length) return;
      e.preventDefault();
      this.navigated = true;
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : -1) + this.items.length) % this.items.length;
      [...this.popup.querySelectorAll(".suggestion")].forEach((r, i) => r.classList.toggle("active", i === this.active));
    } else if (e.key === "Tab" && this.active >= 0) {
      e.preventDefault();
      this.take(this.active);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (this.navigated && this.active >= 0) this.take(this.active);
      else this.send();
    } else if (e.key === "Escape") this.show([]);
  }

  /** The body of POST /_sandbox/interactions for the parsed line (autocomplete: `focused`). */
  request(parsed, focused) {
    const options = {};
    for (const o of parsed.options) {
      const spec = parsed.leaf.options.find((s) => s.name === o.name);
      let value = o.value;
      if (spec.type === CHANNEL && value.startsWith("#")) {
        const c = this.guild.channels.find((ch) => ch.name === value.slice(1));
        if (c) value = c.id;
      } else if (spec.type === USER && value.startsWith("@")) {
        const m = this.guild.members.find((mm) => mm.username === value.slice(1));
        if (m) value = m.id;
      }
      if (value !== "" || o.name === focused) options[o.name] = value;
    }
    const body = { command: parsed.leaf.path, options, guild_id: this.guild.id, channel_id: this.app.channelId, user_id: this.member.value, timeout: 15 };
    const perms = this.perms.value === "custom" ? this.custom.value : this.perms.value;
    if (perms !== "") body.permissions = perms;
    if (focused) body.focused = focused;
    return body;
  }

  async send() {
    const parsed = parseLine(this.input.value, this.all);
    if (!parsed) return this.say("error", "Pick a command: type / to see them.");
    this.show([]);
    this.say("pending", `Running /${parsed.leaf.path}…`);
    const result = await this.app.interact(this.request(parsed, null), false);
    if (result.error) return this.say("error", result.error);
    const messages = {
      answered: `/${parsed.leaf.path}: answered${result.latency_ms != null ? ` in ${Math.round(result.latency_ms)} ms` : ""}${result.ephemeral ? " (only you can see it)" : ""}`,
      deferred: `/${parsed.leaf.path}: the bot is still thinking (deferred, no answer yet)`,
      no_response: "The application did not respond",
      denied: "You do not have permission to use this command (Discord would not offer it to you).",
      unavailable: "This command is not available here.",
      unknown_command: "Unknown command.",
    };
    this.input.value = "";
    return this.say(result.status === "answered" || result.status === "deferred" ? "ok" : "error", messages[result.status] || result.status);
  }

  say(kind, message) {
    this.status.className = `command-status ${kind}`;
    this.status.textContent = message;
  }
}
